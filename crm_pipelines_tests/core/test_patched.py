"""PatchedFrame: an incremental run's table as the earlier rows plus the change, equal to copying."""

import pickle

import numpy as np
import pandas as pd
import pytest

from crm_pipelines.core.golden import patched
from crm_pipelines.core.golden.patched import PatchedFrame, materialized


def _table(n: int, start: int = 0) -> pd.DataFrame:
    ids = [f"G{k:05d}" for k in range(start, start + n)]
    return pd.DataFrame({"golden_id": ids, "name": [f"name {k % 7}" for k in range(start, start + n)],
                         "score": np.arange(start, start + n, dtype=float) / 10})


def _copied(frame: pd.DataFrame, drop: np.ndarray, new_rows: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame[~drop], new_rows], ignore_index=True)


def test_a_chain_of_patches_equals_copying_the_table_each_time():
    rng = np.random.default_rng(3)
    expected = _table(1000)
    current = PatchedFrame.of(expected)
    for step in range(6):
        drop = rng.random(len(expected)) < 0.02
        new_rows = _table(15, start=10_000 + 100 * step)
        expected = _copied(expected, drop, new_rows)
        current = current.patch(drop, new_rows)
        assert len(current) == len(expected)
        np.testing.assert_array_equal(current.column("golden_id"), expected["golden_id"].to_numpy(dtype=object))
    assert current.keep is not None and len(current.added)  # still patched, not folded
    pd.testing.assert_frame_equal(current.frame(), expected)


def test_a_patch_past_a_quarter_of_the_base_is_folded_into_a_new_base():
    base = _table(100)
    grown = PatchedFrame.of(base).patch(np.zeros(100, bool), _table(30, start=500))
    assert grown.base is not base and grown.keep is None and len(grown.added) == 0
    pd.testing.assert_frame_equal(grown.frame(), pd.concat([base, _table(30, start=500)], ignore_index=True))


def test_isin_and_take_address_the_current_rows():
    base = _table(50)
    drop = np.zeros(50, bool)
    drop[[0, 10, 20]] = True
    current = PatchedFrame.of(base).patch(drop, _table(3, start=900))
    expected = current.frame()
    wanted = {"G00011", "G00901", "G00010"}  # G00010 was dropped
    np.testing.assert_array_equal(current.isin("golden_id", wanted), expected["golden_id"].isin(wanted).to_numpy())
    np.testing.assert_array_equal(current.isin("name", {"name 3"}), expected["name"].isin({"name 3"}).to_numpy())
    asked = ["G00010", "G00011", "G00901", "G99999", "G00049"]
    np.testing.assert_array_equal(current.has("golden_id", asked), np.isin(asked, expected["golden_id"].to_numpy()))
    rows = np.array([0, 9, 46, 48])
    pd.testing.assert_frame_equal(current.take(rows), expected.iloc[rows].reset_index(drop=True))


def _replaced_and_added() -> PatchedFrame:
    """50 rows; G00003 dropped, G00004 dropped and added again with a new score, two rows added."""
    base = _table(50)
    drop = np.zeros(50, bool)
    drop[[3, 4]] = True
    replaced = _table(1, start=4).assign(score=99.0)
    return PatchedFrame.of(base).patch(drop, pd.concat([replaced, _table(2, start=800)], ignore_index=True))


def test_lookup_answers_from_the_current_rows_through_the_shared_index():
    current = _replaced_and_added()
    expected = current.frame().set_index("golden_id")["score"]
    asked = ["G00003", "G00004", "G00801", "G00049", "G77777"]
    values, found = current.lookup("golden_id", "score", asked)
    assert found.tolist() == [False, True, True, True, False]
    assert values.tolist() == [None, 99.0, expected["G00801"], expected["G00049"], None]
    later = current.patch(np.zeros(len(current), bool), _table(1, start=900))  # the next run's patch
    assert later._indexes["golden_id"] is current._indexes["golden_id"]  # the index built once, shared
    with pytest.raises(ValueError, match="not distinct"):
        current.lookup("name", "score", ["name 1"])


def test_pickling_keeps_the_patch_and_drops_built_state(monkeypatch):
    monkeypatch.setattr(patched, "COMPACT_SHARE", 0.5)
    current = PatchedFrame.of(_table(40)).patch(np.arange(40) % 9 == 0, _table(4, start=700))
    current.frame()
    current.isin("golden_id", {"G00001"})
    again = pickle.loads(pickle.dumps(current))
    assert again._frame is None and again._indexes == {}
    pd.testing.assert_frame_equal(again.frame(), current.frame())
    untouched = pickle.loads(pickle.dumps(PatchedFrame.of(_table(5))))
    assert untouched.frame() is untouched.base


@pytest.mark.parametrize("value", [_table(3), "not a frame"])
def test_materialized_passes_plain_values_through(value):
    assert materialized(value) is value
    assert materialized(PatchedFrame.of(_table(3))).equals(_table(3))


def test_rows_of_copies_the_current_rows_of_the_asked_ids_and_says_which_asked_id_each_is():
    current = _replaced_and_added()
    expected = current.frame().set_index("golden_id")
    asked = ["G00003", "G00801", "G00004", "G77777", "G00049", "G00000"]
    rows, at = current.rows_of("golden_id", asked)
    assert sorted(np.asarray(asked, dtype=object)[at].tolist()) == ["G00000", "G00004", "G00049", "G00801"]
    assert rows["golden_id"].tolist() == np.asarray(asked, dtype=object)[at].tolist()
    pd.testing.assert_frame_equal(rows.set_index("golden_id"), expected.loc[rows["golden_id"]])
    assert rows.loc[rows["golden_id"] == "G00004", "score"].tolist() == [99.0]
    plain_rows, plain_at = PatchedFrame.of(_table(50)).rows_of("golden_id", ["G00002", "G00001"])
    assert plain_rows["golden_id"].tolist() == ["G00002", "G00001"] and plain_at.tolist() == [0, 1]
    with pytest.raises(ValueError, match="not distinct"):
        current.rows_of("name", ["name 1"])
