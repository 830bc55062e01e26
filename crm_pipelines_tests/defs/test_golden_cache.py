"""The matcher's cache is used only with the published xref it was computed for."""

from __future__ import annotations

import pandas as pd

from crm_pipelines.defs import golden_cache


def _xref(rows):
    return pd.DataFrame(rows, columns=["source", "source_id", "golden_id"])


def test_fingerprint_ignores_row_order_and_sees_every_link():
    rows = [("hero", "1", "G1"), ("hero", "2", "G1"), ("ms365", "a", "G2")]
    base = golden_cache.fingerprint(_xref(rows))
    assert golden_cache.fingerprint(_xref(rows[::-1])) == base  # the database returns rows in any order
    assert golden_cache.fingerprint(_xref([*rows[:2], ("ms365", "a", "G1")])) != base  # a relink
    assert golden_cache.fingerprint(_xref(rows[:2])) != base  # a record less
    assert golden_cache.fingerprint(_xref([])) == "empty"


def test_a_cache_for_another_xref_is_not_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    xref = _xref([("hero", "1", "G1")])
    golden_cache.stage("t", xref, {"cache": 1})
    assert golden_cache.load("t", xref) is None  # staged, not yet promoted (the publish did not commit)
    golden_cache.promote("t")
    assert golden_cache.load("t", xref) == {"cache": 1}
    assert golden_cache.load("t", _xref([("hero", "1", "G2")])) is None


class _Cache:
    """Stands in for a MatchCache: an object whose attributes hold arrays and PatchedFrames."""

    def __init__(self, golden, pairs, labels):
        self.golden_contacts, self.pairs, self.labels = golden, pairs, labels


def _rows(n: int, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame({"golden_id": [f"G{k}" for k in range(start, start + n)], "city": ["Köln"] * n})


def _bases(tmp_path) -> set[str]:
    return {p.name for p in (tmp_path / "golden_cache").glob("t.base-*.pkl")}


def test_table_bases_are_written_once_and_shared_by_later_caches(tmp_path, monkeypatch):
    import numpy as np

    from crm_pipelines.core.golden.patched import PatchedFrame

    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    xref = _xref([("hero", "1", "G1")])
    first = _Cache(PatchedFrame(_rows(2000)), PatchedFrame(_rows(3000, start=5000)), np.arange(10))
    golden_cache.stage("t", xref, first)
    golden_cache.promote("t")
    assert len(_bases(tmp_path)) == 2
    table_size = golden_cache._base_path("t", first.golden_contacts.base_id).stat().st_size

    drop = np.zeros(2000, bool)
    drop[[1, 7]] = True
    second = _Cache(first.golden_contacts.patch(drop, _rows(3, start=9000)), first.pairs, np.arange(10) + 1)
    golden_cache.stage("t", xref, second)
    assert len(_bases(tmp_path)) == 2  # the same bases: nothing large written again
    assert golden_cache._path("t", staged=True).stat().st_size < table_size / 4  # the change, not the table
    golden_cache.promote("t")
    loaded = golden_cache.load("t", xref)
    pd.testing.assert_frame_equal(loaded.golden_contacts.frame(), second.golden_contacts.frame())
    pd.testing.assert_frame_equal(loaded.pairs.frame(), second.pairs.frame())
    assert (loaded.labels == second.labels).all()
    assert loaded.golden_contacts.base_id == first.golden_contacts.base_id

    third = _Cache(PatchedFrame(second.golden_contacts.frame()), second.pairs, second.labels)  # a new base
    golden_cache.stage("t", xref, third)
    assert len(_bases(tmp_path)) == 3  # the promoted cache still uses the old base
    golden_cache.promote("t")
    assert len(_bases(tmp_path)) == 2  # the old golden base is no longer used: removed
    pd.testing.assert_frame_equal(golden_cache.load("t", xref).golden_contacts.frame(), third.golden_contacts.frame())


def test_a_cache_whose_base_is_missing_is_not_loaded(tmp_path, monkeypatch):
    import numpy as np

    from crm_pipelines.core.golden.patched import PatchedFrame

    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    xref = _xref([("hero", "1", "G1")])
    golden_cache.stage("t", xref, _Cache(PatchedFrame(_rows(10)), PatchedFrame(_rows(5)), np.arange(3)))
    golden_cache.promote("t")
    assert golden_cache.load("t", xref) is not None
    for base in (tmp_path / "golden_cache").glob("t.base-*.pkl"):
        base.unlink()
        break
    assert golden_cache.load("t", xref) is None  # a full run follows
