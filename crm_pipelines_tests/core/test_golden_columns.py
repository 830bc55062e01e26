"""The golden table's columns: row hashes equal to pandas' own, text columns built as pandas builds them."""

import numpy as np
import pandas as pd
import pytest

from crm_pipelines.core.golden.row_hash import SMALL_FRAME, hex_strings, row_hashes


def _frame(n: int = 2_000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = [f"g{k:06d}" for k in rng.permutation(n)]
    emails = [None if k % 7 == 0 else f"p{k}@example.de" for k in range(n)]
    cities = rng.choice(["Köln", "Berlin", "", None], n).tolist()
    same = ["tenant-a"] * n
    return pd.DataFrame({"golden_id": ids, "email": emails, "city": cities, "tenant_id": same}, dtype="str")


@pytest.mark.parametrize("n", [SMALL_FRAME // 5, SMALL_FRAME + 2_000])  # below SMALL_FRAME: every column directly
@pytest.mark.parametrize("distinct", [(), ("golden_id",), ("golden_id", "email"), ("golden_id", "email", "city", "tenant_id")])
def test_row_hashes_equal_pandas_hashes_whichever_columns_are_hashed_directly(distinct, n):
    frame = _frame(n)
    assert frame["email"].isna().any() and frame["city"].isna().any()  # missing values on both paths
    expected = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    assert np.array_equal(row_hashes(frame, distinct), expected)


def test_row_hashes_tell_rows_apart_and_depend_on_column_order():
    frame = _frame(50)
    hashed = row_hashes(frame, ("golden_id",))
    assert len(set(hashed.tolist())) == 50
    swapped = frame[["email", "golden_id", "city", "tenant_id"]]
    assert not np.array_equal(row_hashes(swapped, ("golden_id",)), hashed)
    changed = frame.copy()
    changed.loc[3, "city"] = "Bonn"
    diff = row_hashes(changed, ("golden_id",)) != hashed
    assert diff.tolist() == [k == 3 for k in range(50)]


def test_hex_strings_are_the_zero_padded_hex_of_each_hash():
    hashes = np.array([0, 1, 0xABC, 2**64 - 1, 0x0123456789ABCDEF], dtype=np.uint64)
    assert hex_strings(hashes).tolist() == ["{:016x}".format(int(h)) for h in hashes]
    assert hex_strings(np.zeros(0, dtype=np.uint64)).tolist() == []


def test_text_columns_are_what_pandas_would_build_and_mixed_values_are_left_alone():
    import crm_pipelines  # noqa: F401 - the project's string storage
    from crm_pipelines.core.golden.columns import frame_of, text_column

    values = np.array(["Köln", None, "", np.nan, "x"], dtype=object)
    nothing = np.array([None] * 5, dtype=object)  # pandas keeps a column of nothing as objects
    expected = pd.DataFrame({"city": values.copy(), "title": nothing.copy(), "n": np.arange(5)})
    got = frame_of({"city": values.copy(), "title": nothing.copy(), "n": np.arange(5)}, 5)
    assert got.dtypes.to_dict() == expected.dtypes.to_dict()
    pd.testing.assert_frame_equal(got, expected)
    mixed = np.array([1, "a", None], dtype=object)
    assert text_column(mixed) is mixed and mixed.tolist() == [1, "a", None]  # untouched, for pandas to handle
