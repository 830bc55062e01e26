"""A record's key, "source|source_id": texts joined directly, anything else as pandas makes it text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crm_pipelines.core.golden.ids import record_keys


def _as_pandas(sources, source_ids) -> np.ndarray:
    return (pd.Series(sources).astype(str) + "|" + pd.Series(source_ids).astype(str)).to_numpy(dtype=object)


@pytest.mark.parametrize("sources, source_ids", [
    (pd.Series(["hero", "ms365"], dtype="string"), pd.Series(["7", "a|b"], dtype="string")),
    (np.array(["hero", "weclapp"]), np.array(["1", "Zoë"])),
    (["hero", "hero"], [7, None]),
    (pd.Series(["hero", "hero"], dtype="string"), pd.Series(["1", pd.NA], dtype="string")),
    (pd.Series(["hero", "hero"], dtype=object), pd.Series(["1", np.nan], dtype=object)),
    ([], []),
])
def test_record_keys_are_what_pandas_makes_of_them(sources, source_ids):
    keys = record_keys(sources, source_ids)
    expected = _as_pandas(sources, source_ids)
    assert keys.dtype == object and len(keys) == len(expected)
    assert [k if isinstance(k, str) else None for k in keys] == [e if isinstance(e, str) else None for e in expected]


def test_text_keys_are_plain_python_strings():
    keys = record_keys(pd.Series(["hero"], dtype="string"), pd.Series(["hero-1"], dtype="string"))
    assert keys.tolist() == ["hero|hero-1"] and type(keys[0]) is str
