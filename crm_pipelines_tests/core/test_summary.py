"""What the UI shows of a resolution's tables (``core.golden.summary``), worked out in memory; the
pipeline test (``defs/test_golden_order.py``) checks it against the same questions asked of the
published tables."""

from __future__ import annotations

import json

import pandas as pd

from crm_pipelines.core.golden.patched import PatchedFrame
from crm_pipelines.core.golden.summary import largest, summary
from crm_pipelines.defs.golden_logic import _empty_resolution

from .conftest import person, resolve


def test_a_resolution_without_rows_shows_nothing():
    assert summary(_empty_resolution()) == {"largest": [], "link_methods": {}, "decisions": {}, "weakest_merges": []}


def test_the_largest_contacts_come_by_member_count_then_id_and_everything_is_json():
    golden = pd.DataFrame({"golden_id": ["G3", "G1", "G2", "G4"], "member_count": [2, 2, 5, 1]}).assign(
        **{c: None for c in ("kind", "first_name", "last_name", "company_name", "email", "phone", "city", "sources")})
    patched = PatchedFrame(golden).patch(pd.Series([False, False, False, True]).to_numpy(), golden.iloc[[3]].assign(
        golden_id="G0", member_count=2))
    assert [r["golden_id"] for r in largest(patched, 3)] == ["G2", "G0", "G1"]
    assert type(largest(patched, 1)[0]["member_count"]) is int
    drafts = [person(f"p{k}", "Anna", "Schmidt", emails=[("work", "anna@schmidt.de")]) for k in range(3)]
    drafts += [person("q", "Bernd", "Maier", emails=[("work", "bernd@maier.de")])]
    shown = summary(resolve(drafts))
    assert json.loads(json.dumps(shown)) == shown  # stored as JSON, read back the same
    assert [r["member_count"] for r in shown["largest"]] == [3, 1]
    assert sum(shown["link_methods"].values()) == 4 and shown["decisions"] == {"auto_merge": 3}
    assert len(shown["weakest_merges"]) == 3 and all(w["decision"] == "auto_merge" and w["explanation"]
                                                     for w in shown["weakest_merges"])


def test_a_golden_row_without_a_member_count_comes_last():
    golden = pd.DataFrame({"golden_id": ["G1", "G2"], "member_count": [None, 1]}).assign(
        **{c: None for c in ("kind", "first_name", "last_name", "company_name", "email", "phone", "city", "sources")})
    shown = largest(PatchedFrame(golden))
    assert [r["golden_id"] for r in shown] == ["G2", "G1"] and shown[1]["member_count"] is None
