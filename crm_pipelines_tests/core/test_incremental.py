"""Incremental resolution equals a full run (with the carried Fellegi-Sunter parameters)."""

import dataclasses
import time

import numpy as np
import pandas as pd
import pytest

from crm_pipelines.core.canonical import normalize_drafts
from crm_pipelines.core.config import MatchConfig
from crm_pipelines.core.golden.resolve import _resolve_full, resolve_tenant
from crm_pipelines.core.matching.overrides import OVERRIDE_COLUMNS
from crm_pipelines.core.synth import generate

from .conftest import LATER, NOW

T2 = LATER.replace(month=3)
XREF = ["source", "source_id", "golden_id", "link_method", "match_probability", "linked_at"]


def _frame(drafts):
    return normalize_drafts(drafts).contacts


def _full(contacts, previous, overrides, config, now, params):
    frame = contacts[~contacts["is_deleted"].astype(bool)].drop_duplicates(["source", "source_id"], keep="last").reset_index(drop=True)
    keys = (frame["source"].astype(str) + "|" + frame["source_id"].astype(str)).to_numpy(dtype=object)
    return _resolve_full(frame, keys, "bench", previous, overrides, config, now.isoformat(timespec="seconds"), params,
                         time.perf_counter(), time.process_time())


def _rows(df, cols):
    out = df[cols].astype(object).where(df[cols].notna(), None)
    return sorted(map(tuple, out.astype(str).to_numpy().tolist()))


def apply_delta(previous, delta):
    """The previous resolution's tables with the delta applied, as a warehouse publish applies it."""
    records = set(zip(delta.records.source, delta.records.source_id))
    replaced_pairs = set(map(tuple, delta.pair_keys.to_numpy().tolist()))
    gc = previous.golden_contacts
    golden = pd.concat([gc[~gc.golden_id.isin(delta.golden_ids)], delta.golden_contacts])
    x = previous.xref
    xref = pd.concat([x[[k not in records for k in zip(x.source, x.source_id)]], delta.xref])
    p = previous.pairs
    untouched = [k not in replaced_pairs for k in zip(p.source_a, p.source_id_a, p.source_b, p.source_id_b)]
    return golden, xref, pd.concat([p[untouched], delta.pairs])


def assert_delta_applies(previous, inc):
    """Publishing only the delta gives exactly the incremental resolution's full tables."""
    golden, xref, pairs = apply_delta(previous, inc.delta)
    assert len(inc.delta.golden_contacts) < len(inc.golden_contacts) and len(inc.delta.xref) < len(inc.xref)
    assert _rows(golden, list(golden.columns)) == _rows(inc.golden_contacts, list(golden.columns))
    assert _rows(xref, list(xref.columns)) == _rows(inc.xref, list(xref.columns))
    assert _rows(pairs, list(pairs.columns)) == _rows(inc.pairs, list(pairs.columns))


def assert_same(inc, full):
    assert inc.stats["mode"] == "incremental" and full.stats["mode"] == "full"
    a = inc.xref.set_index(["source", "source_id"]).sort_index()
    b = full.xref.set_index(["source", "source_id"]).sort_index()
    assert a.index.equals(b.index)
    assert (a.golden_id == b.golden_id).all()
    assert (a.link_method == b.link_method).all()
    assert (a.linked_at == b.linked_at).all()
    assert np.allclose(a.match_probability.astype(float), b.match_probability.astype(float), equal_nan=True)
    gc = [c for c in inc.golden_contacts.columns]
    assert _rows(inc.golden_contacts, gc) == _rows(full.golden_contacts, gc)
    pc = ["source_a", "source_id_a", "source_b", "source_id_b", "golden_id_a", "golden_id_b", "match_weight", "decision", "pattern_id"]
    assert _rows(inc.pairs, pc) == _rows(full.pairs, pc)
    ec = ["pattern_id", "match_weight", "explanation"]
    assert _rows(inc.patterns, ec) == _rows(full.patterns, ec)
    assert _rows(inc.review_queue, ["source_a", "source_id_a", "explanation"]) == _rows(full.review_queue, ["source_a", "source_id_a", "explanation"])
    assert _rows(inc.review_queue, pc[:6] + ["reason"]) == _rows(full.review_queue, pc[:6] + ["reason"])
    assert _rows(inc.aliases, list(inc.aliases.columns)) == _rows(full.aliases, list(full.aliases.columns))
    assert _rows(inc.link_history, list(inc.link_history.columns)) == _rows(full.link_history, list(full.link_history.columns))


@pytest.fixture(scope="module")
def synth_drafts():
    return [d for batch, _ in generate(1500, seed=3) for d in batch]


def _edit(drafts, rng):
    """A few changed (moved, new e-mail copied from another record), added (copies) and deleted drafts."""
    drafts = list(drafts)
    n = len(drafts)
    idx = rng.choice(n, 40, replace=False)
    for k in idx[:15]:
        drafts[k] = dataclasses.replace(drafts[k], city="Neustadt", street=None, house_number=None)
    for k in idx[15:25]:  # take another record's e-mail: may bridge two people (merge) or move one
        other = drafts[int(idx[(list(idx).index(k) + 20) % 40])]
        drafts[k] = dataclasses.replace(drafts[k], emails=list(other.emails) or [("work", "x@y.de")],
                                        first_name=other.first_name, last_name=other.last_name)
    for k in idx[25:32]:  # new copies of existing people
        drafts.append(dataclasses.replace(drafts[k], source="weclapp", source_id=f"new{k}"))
    gone = set(idx[32:].tolist())
    return [d for k, d in enumerate(drafts) if k not in gone]


def test_incremental_equals_full_with_changes_additions_deletions(synth_drafts):
    cfg = MatchConfig()
    first = resolve_tenant(_frame(synth_drafts), None, None, cfg, NOW)
    edited = _edit(synth_drafts, np.random.default_rng(5))
    contacts = _frame(edited)
    inc = resolve_tenant(contacts, first.state(), None, cfg, LATER)
    full = _full(contacts, first.state(), None, cfg, LATER, first.params)
    assert inc.stats["changed_records"] > 0 and inc.stats["deleted_records"] > 0
    assert_same(inc, full)
    # the strong-edge components the next run starts from: the full run's partition of the records
    a, b = inc.state().cache.comp, full.state().cache.comp
    assert len(a) == len(b) and len(set(zip(a.tolist(), b.tolist()))) == len(set(a.tolist())) == len(set(b.tolist()))
    assert_delta_applies(first, inc)
    # only what differs is written: most re-resolved records keep their xref row and pairs
    stats = inc.stats
    assert 0 < stats["delta_xref_rows"] == len(inc.delta.xref) < stats["affected_records"]
    assert len(inc.delta.golden_contacts) < stats["resurvived_records"]
    assert first.delta is None  # a full run publishes whole tables
    # the incremental run's cache feeds the next one; a rerun on unchanged input changes nothing
    again = resolve_tenant(contacts, inc.state(), None, cfg, T2)
    assert again.stats["mode"] == "incremental" and again.stats["affected_records"] == 0
    assert (again.xref.golden_id == inc.xref.golden_id).all() and len(again.link_history) == 0
    edited2 = _edit(edited, np.random.default_rng(6))
    contacts2 = _frame(edited2)
    inc2 = resolve_tenant(contacts2, inc.state(), None, cfg, T2)
    full2 = _full(contacts2, full.state(), None, cfg, T2, first.params)
    assert_same(inc2, full2)
    assert_delta_applies(inc, inc2)


def test_a_state_read_back_from_a_pickle_is_left_as_it_was_and_gives_the_same_delta(synth_drafts):
    """An unpickled object array answers NumPy with a view where a fresh one answers with itself;
    pandas 3.1 then skips the copy of ``to_numpy(copy=True)``. The incremental run must not write
    into the previous xref it compares its rows with (it did: changed ids went missing from the delta)."""
    import pickle

    from crm_pipelines.core.golden.ids import GoldenState

    cfg = MatchConfig()
    first = resolve_tenant(_frame(synth_drafts), None, None, cfg, NOW)
    xref, aliases, golden, cache = pickle.loads(pickle.dumps(
        (first.xref, first.aliases, type(first).golden_contacts.raw(first), first.cache), protocol=pickle.HIGHEST_PROTOCOL))
    unpickled = GoldenState.from_tables(xref, aliases, golden, cache=cache)
    before = unpickled.xref.copy(deep=True)
    # changed records only, none added or deleted: the previous xref keeps its row order (the path
    # that starts from a copy of it)
    edited = _edit(synth_drafts, np.random.default_rng(5))
    kept = {(d.source, d.source_id) for d in synth_drafts}
    changed = {(d.source, d.source_id): d for d in edited}
    contacts = _frame([changed.get((d.source, d.source_id), d) for d in synth_drafts if (d.source, d.source_id) in kept])
    from_pickle = resolve_tenant(contacts, unpickled, None, cfg, LATER)
    assert from_pickle.stats["changed_records"] > 0 and from_pickle.stats["deleted_records"] == 0
    in_memory = resolve_tenant(contacts, first.state(), None, cfg, LATER)
    pd.testing.assert_frame_equal(unpickled.xref, before)
    moved = (in_memory.xref.set_index(["source", "source_id"]).golden_id
             != first.xref.set_index(["source", "source_id"]).golden_id.reindex(
                 in_memory.xref.set_index(["source", "source_id"]).index)).sum()
    assert moved > 0  # some records change their golden id: their xref rows must be in the delta
    assert from_pickle.stats["delta_xref_rows"] == in_memory.stats["delta_xref_rows"]
    assert _rows(from_pickle.delta.xref, XREF) == _rows(in_memory.delta.xref, XREF)
    assert_delta_applies(first, from_pickle)


def test_incremental_applies_new_overrides(synth_drafts):
    cfg = MatchConfig()
    contacts = _frame(synth_drafts)
    first = resolve_tenant(contacts, None, None, cfg, NOW)
    x = first.xref
    multi = x[x.golden_id.duplicated(keep=False)].sort_values(["golden_id", "source", "source_id"])
    g = multi.golden_id.iloc[0]
    a, b = multi[multi.golden_id == g].iloc[0], multi[multi.golden_id == g].iloc[1]
    single = x[~x.golden_id.duplicated(keep=False)].iloc[5]
    ov = pd.DataFrame([("bench", a.source, a.source_id, b.source, b.source_id, "cannot_link", "r", "s", "x"),
                       ("bench", a.source, a.source_id, single.source, single.source_id, "must_link", "r", "s", "x")],
                      columns=OVERRIDE_COLUMNS)
    inc = resolve_tenant(contacts, first.state(), ov, cfg, LATER)
    full = _full(contacts, first.state(), ov, cfg, LATER, first.params)
    assert_same(inc, full)
    assert_delta_applies(first, inc)
    gi = inc.xref.set_index(["source", "source_id"]).golden_id
    assert gi[(a.source, a.source_id)] != gi[(b.source, b.source_id)]
    assert gi[(a.source, a.source_id)] == gi[(single.source, single.source_id)]
    # removing the overrides again restores the automatic clusters
    back = resolve_tenant(contacts, inc.state(), None, cfg, T2)
    assert back.stats["mode"] == "incremental"
    gb = back.xref.set_index(["source", "source_id"]).golden_id
    assert gb[(a.source, a.source_id)] == gb[(b.source, b.source_id)]
    assert gb[(a.source, a.source_id)] != gb[(single.source, single.source_id)]


def test_a_block_that_grows_past_the_cap_falls_back_to_a_full_run_and_one_that_stays_under_does_not():
    """A block of 2..max_block_size records was paired; grown past the cap it is not paired any
    more, which only a full run can account for (its pairs are dropped, not kept)."""
    from functools import partial

    from .conftest import person

    person = partial(person, tenant="bench")  # the tenant of the ``_full`` helper
    shared = [("work", "team@kanzlei-berg.de")]
    base = [person("1", "Anna", "Berg", emails=shared), person("2", "Bernd", "Berg", source="lexware", emails=shared),
            person("3", "Carla", "Ost", emails=[("work", "carla@ost.de")]),
            person("4", "Dirk", "West", emails=[("work", "dirk@west.de")])]
    cfg = MatchConfig(max_block_size=2, incremental_max_changed=1.0)
    first = resolve_tenant(_frame(base), None, None, cfg, NOW)
    crossed = base[:2] + [person("3", "Carla", "Ost", emails=shared), base[3]]  # the block: 2 → 3 records
    inc = resolve_tenant(_frame(crossed), first.state(), None, cfg, LATER)
    assert inc.stats["mode"] == "full" and inc.stats["incremental_fallback"] == "block_cap_crossed"
    stays = base[:3] + [person("4", "Dirk", "West", emails=[("work", "dirk@west-online.de")])]
    inc = resolve_tenant(_frame(stays), first.state(), None, cfg, LATER)
    assert inc.stats["mode"] == "incremental" and inc.stats["changed_records"] == 1
    assert_same(inc, _full(_frame(stays), first.state(), None, cfg, LATER, first.params))  # same records, same order
    # a block shrinking back under the cap is re-paired incrementally
    big = resolve_tenant(_frame(crossed), None, None, cfg, NOW)
    shrunk = resolve_tenant(_frame(base), big.state(), None, cfg, LATER)
    assert shrunk.stats["mode"] == "incremental"
    assert_same(shrunk, _full(_frame(base), big.state(), None, cfg, LATER, big.params))


def test_a_changed_record_re_resolves_its_own_clusters_not_those_it_is_only_weakly_paired_with():
    from functools import partial

    from .conftest import person

    person = partial(person, tenant="bench")
    base = [person("1", "Carla", "Ost", postal_code="50667", city="Köln"),
            person("2", "Cora", "Ost", source="lexware", postal_code="50667", city="Köln"),
            person("3", "Anna", "Berg", emails=[("work", "anna@berg.de")]),
            person("4", "Anna", "Berg", source="lexware", emails=[("work", "anna@berg.de")])]
    cfg = MatchConfig(incremental_max_changed=1.0)
    first = resolve_tenant(_frame(base), None, None, cfg, NOW)
    assert first.stats["candidate_pairs"] == 2 and len(first.golden_contacts) == 3  # Carla-Cora: a weak pair
    edited = base[:1] + [person("2", "Cora", "Ost", source="lexware", postal_code="50667", city="Köln",
                                emails=[("work", "cora@ost.de")])] + base[2:]
    inc = resolve_tenant(_frame(edited), first.state(), None, cfg, LATER)
    assert inc.stats["mode"] == "incremental" and inc.stats["changed_records"] == 1
    assert inc.stats["affected_records"] == 1  # Cora only: the weak pair is decided with her cluster
    assert_same(inc, _full(_frame(edited), first.state(), None, cfg, LATER, first.params))
