"""A frame's rows as Arrow record batches: columns of one repeated string are repeated by Arrow and
give exactly the batches Arrow's own conversion gives."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import crm_pipelines  # noqa: F401 - the project's string storage
from crm_pipelines.warehouse.arrow_rows import NotConvertible, record_batches

SCHEMA = pa.schema([("tenant_id", pa.string()), ("source_id", pa.string()), ("stamp", pa.string()),
                    ("almost", pa.string()), ("n", pa.int64())])


def _frame(n: int) -> pd.DataFrame:
    almost = ["same"] * n
    almost[n // 2] = "other"  # one row differs, between the sampled ones
    return pd.DataFrame({"tenant_id": ["tenant-a"] * n, "source_id": [f"s{k}" for k in range(n)],
                         "stamp": ["2025-01-01T00:00:00+00:00"] * (n - 1) + [None], "almost": almost,
                         "n": np.arange(n)}).astype({"tenant_id": "str", "source_id": "str", "stamp": "str", "almost": "str"})


@pytest.mark.parametrize("n, batch_rows", [(1, 4), (2, 1), (37, 8), (100, 100)])
def test_batches_equal_arrows_own_conversion(n, batch_rows):
    frame = _frame(n)
    got = list(record_batches(frame, SCHEMA, batch_rows))
    expected = [pa.RecordBatch.from_pandas(frame.iloc[k:k + batch_rows], schema=SCHEMA, preserve_index=False)
                for k in range(0, n, batch_rows)]
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert a.schema == b.schema and a.equals(b), (a.to_pydict(), b.to_pydict())


def test_a_repeated_value_of_another_type_is_still_refused():
    frame = _frame(10).assign(tenant_id=[7] * 10)  # a number in a text column, the same in every row
    with pytest.raises(NotConvertible):
        list(record_batches(frame, SCHEMA))


def test_a_frame_of_nothing_but_repeated_values_keeps_its_rows():
    frame = pd.DataFrame({"tenant_id": ["tenant-a"] * 5, "stamp": ["t0"] * 5}, dtype="str")
    schema = pa.schema([("tenant_id", pa.string()), ("stamp", pa.string())])
    got = list(record_batches(frame, schema, 2))
    assert [b.num_rows for b in got] == [2, 2, 1]
    assert pa.Table.from_batches(got).to_pydict() == {"tenant_id": ["tenant-a"] * 5, "stamp": ["t0"] * 5}
