"""An incremental run writes only the rows that differ from the published ones (``core.golden.delta``)."""

import numpy as np
import pandas as pd

from crm_pipelines.core.golden.delta import changed_golden, changed_pairs, changed_xref, equal_rows
from crm_pipelines.core.golden.patched import PatchedFrame


def test_rows_are_equal_when_every_value_is_equal_and_missing_equals_missing():
    a = pd.DataFrame({"s": ["x", None, "y", "z"], "f": [1.5, np.nan, 2.0, 3.0]})
    b = pd.DataFrame({"s": ["x", np.nan, "y", "z"], "f": [1.5, None, 2.5, 3.0]}).astype({"s": object})
    b.loc[3, "s"] = None
    assert equal_rows(a, b, ["s", "f"]).tolist() == [True, True, False, False]
    assert equal_rows(a, b, ["s"]).tolist() == [True, True, True, False]
    # rows of ``a`` at positions, against ``b`` in order: no copy of ``a``
    assert equal_rows(a, b.iloc[[2, 0]].reset_index(drop=True), ["s", "f"], np.array([2, 0])).tolist() == [False, True]
    assert equal_rows(a, b.iloc[[1]].reset_index(drop=True), ["s", "f"], np.array([1])).tolist() == [True]


def test_rows_with_values_that_have_no_truth_value_compare_with_missing_equal_to_missing():
    a = pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64"), "o": pd.Series([pd.NA, "x", "y"], dtype=object)})
    b = pd.DataFrame({"n": pd.array([1, None, 4], dtype="Int64"), "o": pd.Series([None, "x", pd.NA], dtype=object)})
    assert equal_rows(a, b, ["n"]).tolist() == [True, True, False]
    assert equal_rows(a, b, ["o"]).tolist() == [True, True, False]
    assert equal_rows(a, b, ["n", "o"], np.array([1, 0, 2])).tolist() == [False, False, False]
    # categories compared by value, not by their codes (the two columns number their categories apart)
    c = pd.DataFrame({"c": pd.Categorical(["x", "y", None], categories=["x", "y"])})
    d = pd.DataFrame({"c": pd.Categorical(["x", "y", None], categories=["y", "x"])})
    assert equal_rows(c, d, ["c"]).tolist() == [True, True, True]


def test_golden_rows_equal_to_their_previous_row_are_neither_deleted_nor_inserted():
    previous = PatchedFrame(pd.DataFrame({"golden_id": ["g1", "g2", "g3"], "city": ["Köln", "Bonn", None]}))
    rows = pd.DataFrame({"golden_id": ["g1", "g2", "g4"], "city": ["Köln", "Berlin", "Ulm"]})
    ids = np.array(["g1", "g2", "g3", "g4"], dtype=object)  # g3 merged away: deleted, nothing inserted
    kept_ids, kept_rows = changed_golden(ids, rows, previous)
    assert kept_ids.tolist() == ["g2", "g3", "g4"]
    assert kept_rows["golden_id"].tolist() == ["g2", "g4"]


def test_an_xref_row_is_written_when_it_differs_or_is_new():
    rows = pd.DataFrame({"source_id": ["a", "b", "c"], "golden_id": ["g1", "g2", "g1"]})
    previous = pd.DataFrame({"source_id": ["a", "b", "a"], "golden_id": ["g1", "g1", "g1"]})
    assert changed_xref(rows, previous, np.array([True, True, False])).tolist() == [False, True, True]


def _pairs(rows):
    return pd.DataFrame(rows, columns=["source_a", "source_id_a", "source_b", "source_id_b", "match_weight",
                                       "decision", "created_at"])


def test_pairs_are_replaced_one_by_one_and_an_equal_pair_keeps_when_it_was_first_reported():
    old = _pairs([("hero", "1", "ms365", "2", 9.5, "auto_merge", "2025-01-01"),
                  ("hero", "1", "ms365", "3", 4.0, "review", "2025-01-01"),
                  ("hero", "1", "ms365", "4", 8.0, "auto_merge", "2025-01-01")])  # 4 was deleted
    new = _pairs([("hero", "1", "ms365", "2", 9.5, "auto_merge", "2025-02-01"),
                  ("hero", "1", "ms365", "3", 7.0, "auto_merge", "2025-02-01"),
                  ("hero", "1", "ms365", "5", 6.0, "review", "2025-02-01")])
    carried, new_differs, old_differs = changed_pairs(new, old)
    assert carried["created_at"].tolist() == ["2025-01-01", "2025-02-01", "2025-02-01"]
    assert new_differs.tolist() == [False, True, True]
    assert old_differs.tolist() == [False, True, True]
    assert new["created_at"].tolist() == ["2025-02-01"] * 3  # the input is not changed


def test_pairs_keyed_by_codes_the_caller_knows_match_as_by_their_key_columns():
    old = _pairs([("hero", "1", "ms365", "2", 9.5, "auto_merge", "2025-01-01"),
                  ("hero", "1", "ms365", "3", 4.0, "review", "2025-01-01")])
    new = _pairs([("hero", "1", "ms365", "3", 4.0, "review", "2025-02-01"),
                  ("hero", "1", "ms365", "2", 9.5, "auto_merge", "2025-02-01")])
    by_columns = changed_pairs(new, old)
    by_codes = changed_pairs(new, old, (np.array([13, 12]), np.array([12, 13])))
    for a, b in zip(by_columns[1:], by_codes[1:]):
        assert a.tolist() == b.tolist() == [False, False]
    assert by_codes[0]["created_at"].tolist() == by_columns[0]["created_at"].tolist() == ["2025-01-01"] * 2
    # codes that differ pair nothing, whatever the columns say
    _, new_differs, old_differs = changed_pairs(new, old, (np.array([13, 12]), np.array([-1, -2])))
    assert new_differs.tolist() == old_differs.tolist() == [True, True]


def test_key_columns_with_a_missing_value_pair_like_a_merge_and_repeated_keys_still_work():
    old = _pairs([("hero", None, "ms365", "2", 9.5, "auto_merge", "2025-01-01"),
                  ("hero", "1", "ms365", "2", 1.0, "review", "2025-01-01"),
                  ("hero", "1", "ms365", "2", 9.0, "auto_merge", "2025-01-01")])  # a repeated key: the merge path
    new = _pairs([("hero", None, "ms365", "2", 9.5, "auto_merge", "2025-02-01"),
                  ("hero", "1", "ms365", "2", 9.0, "auto_merge", "2025-02-01")])
    _, new_differs, old_differs = changed_pairs(new, old)
    assert new_differs.tolist() == [False, False] and old_differs.tolist() == [False, True, False]
