"""Per-tenant resolution: canonical contacts (+ previous state, overrides) → golden records.

``resolve_tenant`` is pure (no I/O): block → score (Fellegi-Sunter, EM) → cluster (no chaining,
vetoes, overrides) → stable ids → xref / aliases / history / explained pairs → survivorship.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from ..config import SURVIVING_FIELDS, MatchConfig
from ..matching.blocking import candidate_pairs
from ..matching.clustering import cluster
from ..matching.model import FSParams, pattern_ids
from ..matching.overrides import override_pairs
from ..matching.comparisons import columns, has_identifier, weak_first_name_unconfirmed
from ..matching.scoring import compare_pairs, level_weights, score
from ..arrays import filled, isin_codes, pick, sorted_unique
from .ids import ALIAS_COLUMNS, GoldenState, assign_ids, follow_alias, record_keys, resolve_series
from .patched import PatchedFrame, materialized
from .outputs import build_history, build_pairs, build_xref, decide, review_and_patterns
from .row_hash import hex_strings, row_hashes
from .survivorship import survive

GOLDEN_COLUMNS = ["golden_id", "tenant_id", *SURVIVING_FIELDS, "emails", "phones", "email", "phone", "roles",
                  "parent_golden_id", "provenance", "member_count", "sources", "content_hash", "created_at", "updated_at"]


LinksReady = Callable[[dict[str, pd.DataFrame]], None]  # see resolve_tenant(on_links=...)


@dataclass
class Resolution:
    golden_contacts: pd.DataFrame
    xref: pd.DataFrame
    aliases: pd.DataFrame
    link_history: pd.DataFrame
    pairs: pd.DataFrame
    review_queue: pd.DataFrame
    params: FSParams | None = None
    stats: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    cache: object | None = None  # MatchCache: what the next incremental run reuses (in memory, optional)
    patterns: pd.DataFrame | None = None  # the explanation of each pattern id the pairs refer to
    delta: object | None = None  # ResolutionDelta of an incremental run: what changed against the previous tables

    def state(self) -> GoldenState:
        """The GoldenState the next run starts from: the published tables plus this run's MatchCache
        (the fast path; ``GoldenState.from_tables(xref, aliases, golden_contacts, cache=res.cache)``)."""
        return GoldenState.from_tables(self.xref, self.aliases, type(self).golden_contacts.raw(self), cache=self.cache)


class _BuiltOnRead:
    """A Resolution table that an incremental run leaves as a ``PatchedFrame`` (its previous rows plus
    the change): a plain DataFrame is built the first time the attribute is read. The run itself,
    its delta publish and the next run's cache use the patched form and never build it."""

    def __set_name__(self, owner, name: str) -> None:
        self.name, self.slot = name, "_" + name

    def raw(self, obj):
        """The stored value, patched or not (an object pickled before this existed keeps it by name)."""
        return obj.__dict__[self.slot] if self.slot in obj.__dict__ else obj.__dict__[self.name]

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return materialized(self.raw(obj))  # a PatchedFrame keeps the frame it built

    def __set__(self, obj, value) -> None:
        obj.__dict__[self.slot] = value


for _name in ("golden_contacts", "pairs"):  # after @dataclass: its __init__ assigns through these
    setattr(Resolution, _name, _BuiltOnRead())
    getattr(Resolution, _name).__set_name__(Resolution, _name)


def _codes(i: np.ndarray, j: np.ndarray, n: int) -> np.ndarray:
    return np.minimum(i, j).astype(np.int64) * n + np.maximum(i, j)


def resolve_tenant(contacts: pd.DataFrame, previous: GoldenState | None, overrides: pd.DataFrame | None,
                   config: MatchConfig | None, now: datetime, on_links: LinksReady | None = None) -> Resolution:
    """Resolve one tenant. With ``previous.cache`` (set by ``Resolution.state()``) and few changed
    records, only the records touched by the change are re-blocked, re-scored, re-clustered and
    re-survived (``stats["mode"] == "incremental"``); the outcome equals a full run with the carried
    Fellegi-Sunter parameters.

    ``on_links``, if given, is called once by a full resolve, before survivorship: with the tables
    that are final by then (``xref``, ``aliases``, ``link_history``, ``pairs``, ``review_queue``,
    ``patterns``; the same frames the Resolution then holds), so that a caller can write them while
    the golden rows are built. An incremental resolve does not call it."""
    config = config or MatchConfig()
    stamp = now.isoformat(timespec="seconds")
    t0, c0 = time.perf_counter(), time.process_time()
    tenant_ids = contacts["tenant_id"].to_numpy(dtype=object)
    # one tenant (the usual case) is told by comparing with the first, not by hashing every row
    tenants = tenant_ids[:1] if len(tenant_ids) and bool((tenant_ids == tenant_ids[0]).all()) else pd.unique(tenant_ids)
    if len(tenants) > 1:
        raise ValueError(f"resolve_tenant got several tenants: {sorted(map(str, tenants))[:5]}")
    tenant_id = str(tenants[0]) if len(tenants) else ""
    cache = getattr(previous, "cache", None) if previous is not None else None
    frame, keys = _active_records(contacts, cache)
    carried, reason = None, "no_cache"
    if cache is not None:
        from .incremental import resolve_incremental
        res, carried, reason = resolve_incremental(frame, keys, tenant_id, previous, cache, overrides, config, stamp, t0, c0)
        if res is not None:
            res.stats["deleted_skipped"] = int(len(contacts) - len(frame))
            return res
    res = _resolve_full(frame, keys, tenant_id, previous, overrides, config, stamp, carried, t0, c0, on_links)
    res.stats["deleted_skipped"] = int(len(contacts) - len(frame))
    res.stats["incremental_fallback"] = reason
    return res


def _active_records(contacts: pd.DataFrame, cache) -> tuple[pd.DataFrame, np.ndarray]:
    """Live records (not deleted; the last of duplicate (source, source_id)), with their
    "source|source_id" keys. Records equal to the cached run's, in the same order (the usual
    incremental case), take the cached keys: no string building, no duplicate scan."""
    deleted = contacts["is_deleted"].astype(bool).to_numpy()
    src = contacts["source"].to_numpy(dtype=object)
    sid = contacts["source_id"].to_numpy(dtype=object)
    cached = getattr(cache, "sources", None)
    if (cached is not None and not deleted.any() and len(cached) == len(contacts)
            and (src == cached).all() and (sid == cache.source_ids).all()):
        keys = cache.keys
    else:
        keys = record_keys(src, sid)
        live = ~deleted
        dup = np.zeros(len(keys), bool)
        dup[live] = pd.Index(keys[live]).duplicated(keep="last")
        drop = deleted | dup
        if drop.any():
            return contacts[~drop].reset_index(drop=True), keys[~drop]
    if isinstance(contacts.index, pd.RangeIndex) and contacts.index.start == 0 and contacts.index.step == 1:
        return contacts, keys  # nothing to drop: no copy (the frame is only read)
    return contacts.reset_index(drop=True), keys


def _resolve_full(frame: pd.DataFrame, keys_arr: np.ndarray, tenant_id: str, previous: GoldenState | None,
                  overrides: pd.DataFrame | None, config: MatchConfig, stamp: str, carried: FSParams | None,
                  t0: float, c0: float, on_links: LinksReady | None = None) -> Resolution:
    timings: dict[str, float] = {}
    n = len(frame)
    ov = override_pairs(frame, overrides, tenant_id)
    (mi, mj), (ci, cj) = ov["must_link"], ov["cannot_link"]
    cols = columns(frame)
    blocks: dict = {}
    bi, bj, bstats = candidate_pairs(cols, config.max_block_size, blocks=blocks)
    allc = sorted_unique(np.concatenate([_codes(bi, bj, n), _codes(mi, mj, n), _codes(ci, cj, n)])) if n else np.zeros(0, np.int64)
    i, j = allc // max(n, 1), allc % max(n, 1)
    timings["block"] = time.perf_counter() - t0
    timings["block_cpu"] = time.process_time() - c0

    t0, c0 = time.perf_counter(), time.process_time()
    sp, params = score(cols, i, j, config, carried)
    must_codes, cannot_codes = _codes(mi, mj, n), _codes(ci, cj, n)
    strong, bad = _strong_bad(sp, allc, must_codes, cannot_codes, config)
    timings["score"] = time.perf_counter() - t0
    timings["score_cpu"] = time.process_time() - c0

    t0, c0 = time.perf_counter(), time.process_time()
    conflict = _conflict_test(cols, params, cannot_codes, n, config, (allc, sp.levels, sp.veto))
    comp_out: list = []
    labels, refused = cluster(n, sp.i[strong], sp.j[strong], sp.weight[strong], mi, mj, conflict,
                              (sp.i[bad], sp.j[bad]), config.max_exact_component, comp_out)
    del conflict, cols  # the comparison columns are done with: not held through survivorship (30-40 MB at 1M)
    timings["cluster"] = time.perf_counter() - t0
    timings["cluster_cpu"] = time.process_time() - c0

    t0, c0 = time.perf_counter(), time.process_time()
    keys = pd.Series(keys_arr)
    golden, new_aliases, created, prev_raw = assign_ids(tenant_id, keys, labels, previous, stamp)
    amap = previous.alias_map() if previous else {}
    prev_resolved = resolve_series(prev_raw, amap)
    method, prob = _link_method(n, labels, sp, strong, mi, mj)
    xref = build_xref(tenant_id, frame, golden, labels, method, prob, previous, prev_resolved, stamp)
    timings["survive"] = time.perf_counter() - t0
    timings["survive_cpu"] = time.process_time() - c0

    # everything but the golden rows first: survivorship, the longest step, then runs while a caller
    # writes these (``on_links``)
    t0, c0 = time.perf_counter(), time.process_time()
    aliases = _merge_aliases(previous, new_aliases, golden)
    history = build_history(tenant_id, xref, prev_raw, prev_resolved, new_aliases, previous, stamp)
    dec = decide(sp, labels, strong, must_codes, cannot_codes, n, config.review_probability)
    pairs = build_pairs(tenant_id, frame, golden, sp, dec, pattern_ids(sp.pats), stamp)
    sel = np.flatnonzero(dec != "")
    is_review, pair_pats = dec[sel] == "review", sp.inverse[sel]
    review, patterns = review_and_patterns(tenant_id, pairs, is_review, pair_pats, sp.pats, params,
                                           config.auto_merge_probability, stamp)
    timings["explain"] = time.perf_counter() - t0
    timings["explain_cpu"] = time.process_time() - c0
    if on_links is not None:
        on_links({"xref": xref, "aliases": aliases, "link_history": history, "pairs": pairs,
                  "review_queue": review, "patterns": patterns})

    t0, c0 = time.perf_counter(), time.process_time()
    golden_contacts = _golden_table(frame, golden, lambda pk: pk.map(pd.Series(golden, index=keys_arr)),
                                    created, previous, stamp, tenant_id, config)
    timings["survive"] += time.perf_counter() - t0
    timings["survive_cpu"] += time.process_time() - c0
    stats = {**bstats, "scored_pairs": len(i), "strong_pairs": int(strong.sum()), "refused_edges": len(refused),
             "golden_contacts": len(golden_contacts), "review_pairs": len(review), "prior": params.prior,
             "em_iterations": params.iterations, "mode": "full", "params_carried": carried is not None}
    from .incremental import MatchCache, config_key, override_set
    cache = MatchCache(tenant_id, config_key(config), keys_arr, frame["source"].to_numpy(dtype=object),
                       frame["source_id"].to_numpy(dtype=object), frame["content_hash"].to_numpy(dtype=object), params,
                       blocks, sp.i, sp.j, sp.levels, sp.veto, sp.pats, sp.inverse, comp_out[0], labels,
                       override_set(keys_arr, ov), sp.i[sel], sp.j[sel], is_review, pair_pats,
                       PatchedFrame(golden_contacts.reset_index(drop=True)), PatchedFrame(pairs))
    # the golden rows as the cache holds them: the next run's state and its patch share one id index
    return Resolution(cache.golden_contacts, xref, aliases, history, pairs, review, params, stats, timings,
                      cache, patterns)


def _conflict_test(cols, params: FSParams, cannot_codes: np.ndarray, n: int, config: MatchConfig, known=None):
    """The clustering's test of record pairs (``pi``, ``pj``): a veto, a weight under the conflict
    weight, or a cannot-link. ``known``: (sorted pair codes, their levels, their vetoes) of the
    pairs compared already (the candidate pairs): those are looked up, not compared again."""
    def compare(i: np.ndarray, j: np.ndarray):
        return compare_pairs(cols, i, j, config)

    def conflict(pi: np.ndarray, pj: np.ndarray) -> np.ndarray:
        levels, veto = compared(compare, known, pi, pj, n)
        return (veto >= 0) | (level_weights(levels, params) < config.conflict_weight) | isin_codes(_codes(pi, pj, n), cannot_codes)

    return conflict


def compared(compare, known, i: np.ndarray, j: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(levels, veto) of the pairs (``i`` < ``j``): taken from ``known`` (sorted pair codes, their
    levels and vetoes) where it holds the pair, compared by ``compare`` otherwise. Most pairs inside a
    component are candidate pairs (they share a blocking key), scored already."""
    if known is None or not len(known[0]) or not len(i):
        return compare(i, j)
    codes, klevels, kveto = known
    want = _codes(i, j, n)
    at = np.minimum(np.searchsorted(codes, want), len(codes) - 1)
    hit = (codes[at] == want) & (i < j)  # a known pair was compared as (smaller, larger)
    if hit.all():
        return klevels[at], kveto[at]
    levels = np.empty((len(i), klevels.shape[1]), dtype=klevels.dtype)
    veto = np.empty(len(i), dtype=kveto.dtype)
    levels[hit], veto[hit] = klevels[at[hit]], kveto[at[hit]]
    miss = np.flatnonzero(~hit)
    levels[miss], veto[miss] = compare(i[miss], j[miss])
    return levels, veto


def _strong_bad(sp, allc, must_codes, cannot_codes, config):
    is_cannot = isin_codes(allc, cannot_codes)
    strong = (sp.prob >= config.auto_merge_probability) & (sp.veto < 0) & ~is_cannot
    if config.require_identifier and len(sp.pats):  # a property of the level pattern: computed per pattern
        strong &= (has_identifier(sp.pats) & ~weak_first_name_unconfirmed(sp.pats))[sp.inverse]
    bad = ((sp.veto >= 0) | (sp.weight < config.conflict_weight) | is_cannot) & ~isin_codes(allc, must_codes)
    return strong, bad


def _link_method(n, labels, sp, strong, mi, mj, rows: np.ndarray | None = None):
    """(link method, match probability) per record, or per record of ``rows`` only (``sp``/``strong``
    must then hold every strong pair inside those records' clusters)."""
    rows = np.arange(n) if rows is None else rows
    sizes = np.bincount(labels, minlength=n)[labels[rows]] if n else np.zeros(0, np.int64)
    in_cluster = strong & (labels[sp.i] == labels[sp.j])
    best = np.zeros(n)
    np.maximum.at(best, sp.i[in_cluster], sp.prob[in_cluster])
    np.maximum.at(best, sp.j[in_cluster], sp.prob[in_cluster])
    method = pick(("singleton", "auto_merge"), sizes != 1)
    must_in = labels[mi] == labels[mj]
    is_must = np.zeros(n, bool)
    is_must[mi[must_in]] = True
    is_must[mj[must_in]] = True
    method[is_must[rows]] = "must_link"
    prob = np.where(sizes == 1, np.nan, np.where(is_must[rows], 1.0, best[rows]))
    return method, prob


# golden columns hashed directly (``row_hashes``): nearly all distinct, or enough distinct values that
# categorizing first costs more than it saves (first names, companies and VAT ids at 999k)
DISTINCT_COLUMNS = ("golden_id", "emails", "phones", "email", "phone", "first_name", "company_name", "vat_id")


def _golden_table(frame, golden, parent_lookup, created, previous, stamp, tenant_id, config) -> pd.DataFrame:
    """Survivorship per golden id of ``golden`` (one per row of ``frame``) → golden_contacts rows."""
    # groups numbered in the order of their first record: survivorship and the hashes below read the
    # records' values (and their strings in memory) nearly front to back; in golden id order they
    # jumped all over them (999k records: 8.4 instead of 10.9-12.1 s for this table)
    codes, uniq = pd.factorize(golden)
    uniq = np.asarray(uniq, dtype=object)
    surv = survive(frame, codes, len(uniq), config.survivorship)
    surv.insert(0, "golden_id", uniq)
    surv.insert(1, "tenant_id", tenant_id)
    surv["sources"] = _source_sets(frame["source"], codes, len(uniq))
    has_parent = frame["parent_source_id"].notna()
    if has_parent.any():
        parent_key = pd.Series(record_keys(frame["source"], frame["parent_source_id"]), index=frame.index)
        parent_gid = parent_lookup(parent_key).where(has_parent)
    else:
        parent_gid = pd.Series([None] * len(frame), dtype=object)
    pg = pd.Series(parent_gid.to_numpy()).groupby(codes).first()
    surv["parent_golden_id"] = pg.reindex(range(len(uniq))).to_numpy()
    hashed = row_hashes(_as_str(surv.drop(columns=["provenance", "parent_golden_id"])), DISTINCT_COLUMNS)
    surv["content_hash"] = hex_strings(hashed)
    gids = surv["golden_id"].to_numpy(dtype=object).tolist()
    surv["created_at"] = [created.get(g, stamp) for g in gids]
    updated = filled(len(gids), stamp)
    if previous is not None and len(previous.golden_hashes):
        same = previous.golden_hashes.lookup(gids) == surv["content_hash"].to_numpy(dtype=object)
        updated[same] = previous.updated_at.lookup(np.asarray(gids, dtype=object)[same], stamp)
    surv["updated_at"] = updated
    return surv[GOLDEN_COLUMNS]


def _as_str(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame.astype(str)``, converting only the columns that are not strings already (same values)."""
    conv = {c: frame[c].astype(str) for c in frame.columns if not isinstance(frame[c].dtype, pd.StringDtype)}
    return frame.assign(**conv) if conv else frame


def _source_sets(sources: pd.Series, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Comma-joined sorted distinct sources per group (a bit mask per group, one string per mask)."""
    scodes, names = pd.factorize(sources.astype(str).to_numpy(dtype=object), sort=True)
    if len(names) > 62:  # more sources than bits: plain python
        acc: list[set] = [set() for _ in range(n_groups)]
        for g, s in zip(codes.tolist(), sources.astype(str).tolist()):
            acc[g].add(s)
        return np.array([",".join(sorted(a)) for a in acc], dtype=object)
    mask = np.zeros(n_groups, dtype=np.int64)
    np.bitwise_or.at(mask, codes, np.left_shift(1, scodes.astype(np.int64)))
    umask, inv = np.unique(mask, return_inverse=True)
    text = np.array([",".join(str(names[b]) for b in range(len(names)) if (int(m) >> b) & 1) for m in umask], dtype=object)
    return text[inv.reshape(-1)]


def _merge_aliases(previous: GoldenState | None, new_aliases: pd.DataFrame, golden: np.ndarray) -> pd.DataFrame:
    """Previous aliases (re-pointed to their final id) plus this run's merges."""
    frames = [a for a in ((previous.aliases if previous else None), new_aliases) if a is not None and len(a)]
    if not frames:
        return pd.DataFrame(columns=ALIAS_COLUMNS)
    allal = pd.concat(frames, ignore_index=True).drop_duplicates("alias_id", keep="last")
    amap = dict(zip(allal["alias_id"], allal["golden_id"]))
    allal["golden_id"] = [follow_alias(g, amap) for g in allal["golden_id"]]
    # an alias that is a live id again is dropped: the few alias ids looked up in the records' ids,
    # not a set of a million ids built to look them up in (0.36 s of a 1M-record incremental run)
    ids = allal["alias_id"].to_numpy(dtype=object)
    live = set(golden[pd.Series(golden, dtype=object, copy=False).isin(ids).to_numpy()].tolist())
    return allal[~allal["alias_id"].isin(live)][ALIAS_COLUMNS].reset_index(drop=True)
