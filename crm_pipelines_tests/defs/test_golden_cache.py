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
