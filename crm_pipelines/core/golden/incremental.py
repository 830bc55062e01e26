"""Incremental resolution: re-resolve only what a change touches, equal to a full run with the
carried Fellegi-Sunter parameters.

Changed records = new keys, a different ``content_hash``, or an endpoint of an override that was
added or removed. Then:

* blocking: the previous run's key hashes (one entry per value of a multi-valued key) are kept for
  unchanged records, the changed records' keys are computed, and only blocks holding a changed
  value (new or old) are re-paired;
  a block crossing the size cap (it was paired, now it is too big) falls back to a full run;
* scoring: pairs between unchanged records keep their comparison levels; new pairs are compared and
  weighted with the carried parameters (no u sampling, no EM);
* clustering: re-clustered only are the strong-edge components that hold a changed record, a record
  of a new pair (a block that shrank back under the size cap pairs unchanged records) or a record of
  a previous component that held a changed or deleted record: found through the previous
  components, not by computing the components of the whole tenant again; every other component
  keeps its previous clusters (its edges are unchanged). Pairs inside a component that were scored
  already are not compared again for the conflict test;
* ids, xref, survivorship, history, pairs: computed for the affected clusters only, every other row
  is carried over as published.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from ..config import MatchConfig
from ..matching.blocking import BLOCKING_KEYS, block_pairs
from ..matching.clustering import cluster
from ..matching.comparisons import Columns
from ..matching.model import FSParams, extend_patterns, pattern_ids, pattern_weights, probability
from ..matching.overrides import override_pairs
from ..matching.scoring import ScoredPairs, compare_pairs, level_weights
from ..arrays import isin_codes, isin_hashes, merged_order, sorted_unique
from .delta import PAIR_KEY, changed_golden, changed_pairs, changed_xref
from .ids import GoldenState, assign_ids, record_keys, resolve_series
from .patched import PatchedFrame
from .outputs import XREF_COLUMNS, build_history, build_pairs, build_xref, decide, review_and_patterns


CACHE_VERSION = 6  # 6: blocking keys hashed column by column (matching/blocking.py)


@dataclass
class MatchCache:
    """One tenant's previous run, positions = rows of the previous active frame (= xref rows)."""

    tenant_id: str
    config: str
    keys: np.ndarray          # "source|source_id" per record
    sources: np.ndarray       # source and source_id per record, as given
    source_ids: np.ndarray
    hashes: np.ndarray        # content_hash per record
    params: FSParams
    blocks: dict              # blocking key → (rows, uint64 key hash), one entry per value
    pi: np.ndarray            # scored pairs (i < j) with their levels and veto codes
    pj: np.ndarray
    levels: np.ndarray
    veto: np.ndarray
    pats: np.ndarray          # distinct level patterns, and the pattern of each scored pair
    inverse: np.ndarray
    comp: np.ndarray          # strong-edge component per record (before conflict splitting)
    labels: np.ndarray        # cluster label per record
    overrides: frozenset      # (kind, key, key) applied
    pair_i: np.ndarray        # record positions of the rows of ``pairs``
    pair_j: np.ndarray
    pair_review: np.ndarray   # per row of ``pairs``: decided 'review'
    pair_pats: np.ndarray     # per row of ``pairs``: its pattern (index into ``pats``)
    golden_contacts: "pd.DataFrame | PatchedFrame"  # the published rows (patched in place by incremental runs)
    pairs: "pd.DataFrame | PatchedFrame"
    version: int = CACHE_VERSION  # a cache pickled by another layout is ignored (a full run follows)


@dataclass
class ResolutionDelta:
    """What an incremental resolution changed against the previous one (= the published tables the
    cache belongs to): applying it to those tables gives the full resolution's tables.

    * golden_contacts: delete the rows of ``golden_ids``, insert ``golden_contacts``;
    * xref: delete the rows of ``records``, insert ``xref``;
    * pairs: delete the pairs of ``pair_keys`` (their two records: the pairs that differ, old and
      new), insert ``pairs``.
    Only rows that differ from the previous ones are in it (``core.golden.delta``). Aliases,
    history, review queue and patterns are small and published whole."""

    golden_ids: np.ndarray
    golden_contacts: pd.DataFrame
    records: pd.DataFrame       # source, source_id
    xref: pd.DataFrame
    pairs: pd.DataFrame
    pair_keys: pd.DataFrame     # source_a, source_id_a, source_b, source_id_b


def config_key(config: MatchConfig) -> str:
    return repr(config)


def override_set(keys: np.ndarray, ov: dict) -> frozenset:
    out = set()
    for kind, (a, b) in ov.items():
        for x, y in zip(keys[a].tolist(), keys[b].tolist()):
            out.add((kind, min(x, y), max(x, y)))
    return frozenset(out)


def _codes(i, j, n):
    return np.minimum(i, j).astype(np.int64) * n + np.maximum(i, j)


def _aligned(previous: GoldenState, cache: MatchCache) -> GoldenState | None:
    """``previous`` with its xref rows in the order of the cache's records (positions below index
    both), or None when the two hold different records. A database returns the published xref in
    its own order: PostgreSQL in heap order, which a delta publish changes."""
    src = previous.xref["source"].to_numpy(dtype=object)
    sid = previous.xref["source_id"].to_numpy(dtype=object)
    if bool((src == cache.sources).all()) and bool((sid == cache.source_ids).all()):
        return previous  # the usual case: the previous run's own xref, or rows read in key order
    index = pd.Index(record_keys(src, sid))
    if not index.is_unique:
        return None
    pos = index.get_indexer(cache.keys)
    if (pos < 0).any():
        return None
    return replace(previous, xref=previous.xref.iloc[pos].reset_index(drop=True))


def _like(column: pd.Series, values: np.ndarray, written: np.ndarray | None = None):
    """``values`` (a new array) as a column of the type of ``column`` when that is a text column and
    ``values`` are text: the type is taken over, not inferred again (0.1 s for the xref at 1M
    records); anything else is inferred as before. ``written``: the positions that did not come
    from ``column`` itself (only those are looked at; the rest are the text column's own values)."""
    if not isinstance(column.dtype, pd.StringDtype):
        return values
    if written is None:
        text = infer_dtype(values, skipna=True) == "string"
    else:  # written rows all missing (or none): the column's own values decide, and they are text
        text = infer_dtype(values[written], skipna=True) in ("string", "empty")
    if text:
        return pd.Series(values, dtype=column.dtype, copy=False)
    return values


def _cap_crossed(current: np.ndarray, added: np.ndarray, dropped: np.ndarray, cap: int) -> bool:
    """Whether a block that was paired (2..cap entries) has grown past ``cap``: ``current`` = the
    entries of the touched blocks now, ``added`` / ``dropped`` = the entries this run added to them
    and took from them (every added value is among ``current``). Previous size = current - added +
    dropped; a block with no entry now cannot have crossed."""
    if not len(current):
        return False
    values, sizes = np.unique(current, return_counts=True)
    if not (sizes > cap).any():
        return False
    old = sizes - np.bincount(np.searchsorted(values, added), minlength=len(values))
    at = np.minimum(np.searchsorted(values, dropped), len(values) - 1)
    hit = values[at] == dropped
    old += np.bincount(at[hit], minlength=len(values))
    return bool(((old <= cap) & (old >= 2) & (sizes > cap)).any())


def _pair_codes(i: np.ndarray, j: np.ndarray, live_of_prev: np.ndarray, n: int, pi_prev: np.ndarray,
                pj_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Key codes of the re-decided pairs (current positions ``i`` < ``j``, as ``build_pairs`` orders
    a pair's records) and of the published pairs they replace (previous positions, mapped through
    ``live_of_prev``: current position, -1 when gone): equal exactly where both records are, in the
    same order. A published pair whose record is gone, or whose records now come in the other
    order, gets a code of its own (a negative one)."""
    a, b = live_of_prev[pi_prev], live_of_prev[pj_prev]
    old = a * max(n, 1) + b
    unmatched = np.flatnonzero((a < 0) | (b < 0) | (a >= b))
    old[unmatched] = -1 - np.arange(len(unmatched), dtype=np.int64)
    return i.astype(np.int64) * max(n, 1) + j, old


def _text_with(column: pd.Series, rows: np.ndarray, values: np.ndarray) -> pd.Series | None:
    """A copy of the text column ``column`` with ``values`` written at ``rows``: its own array copied
    and only the written values checked (copying it as objects and checking all of them again cost
    0.1 s for the xref at 1M records). None when ``values`` are not text (the caller infers)."""
    array = column.array.copy()
    try:
        array[rows] = values
    except (TypeError, ValueError):
        return None
    return pd.Series(array, copy=False)


def _sub_compare(frame: pd.DataFrame, i: np.ndarray, j: np.ndarray, config: MatchConfig):
    """compare_pairs on the records involved only (Columns of a subset)."""
    if len(i) == 0:
        return np.zeros((0, 10), np.int8), np.zeros(0, np.int8)
    involved = sorted_unique(np.concatenate([i, j]))
    cols = Columns.of_rows(frame, involved)
    return compare_pairs(cols, np.searchsorted(involved, i), np.searchsorted(involved, j), config)


def resolve_incremental(frame, keys, tenant_id, previous: GoldenState, cache: MatchCache, overrides, config: MatchConfig,
                        stamp: str, t0: float, c0: float):
    """Return (Resolution or None, parameters to carry into a full run or None, reason)."""
    from .resolve import Resolution, _golden_table, _link_method, _merge_aliases, _strong_bad, compared

    if (getattr(cache, "version", None) != CACHE_VERSION or cache.tenant_id != tenant_id
            or cache.config != config_key(config) or len(previous.xref) != len(cache.keys)):
        return None, None, "cache_mismatch"
    previous = _aligned(previous, cache)
    if previous is None:
        return None, None, "cache_mismatch"
    n, n_prev = len(frame), len(cache.keys)
    same_order = n == n_prev and (keys is cache.keys or bool((keys == cache.keys).all()))  # the usual case
    if same_order:
        prev_pos = np.arange(n, dtype=np.int64)
    else:
        prev_pos = pd.Index(cache.keys).get_indexer(keys)
    hashes = frame["content_hash"].to_numpy(dtype=object)
    if keys is cache.keys:  # the records checked equal to the cached ones (``_active_records``): their arrays
        src_all, sid_all = cache.sources, cache.source_ids
    else:
        src_all, sid_all = frame["source"].to_numpy(dtype=object), frame["source_id"].to_numpy(dtype=object)
    if same_order:
        changed = cache.hashes != hashes
    else:
        changed = prev_pos < 0
        known = np.flatnonzero(~changed)
        changed[known] = cache.hashes[prev_pos[known]] != hashes[known]
    kept_prev = np.zeros(n_prev, bool)
    kept_prev[prev_pos[~changed]] = True
    n_touched = int(changed.sum()) + int(n_prev - kept_prev.sum())
    if n_touched > config.incremental_max_changed * max(n, n_prev, 1):
        return None, None, "too_many_changes"
    carried = cache.params
    ov = override_pairs(frame, overrides, tenant_id)
    ovset = override_set(keys, ov)
    ov_keys = sorted({k for _, a, b in ovset ^ cache.overrides for k in (a, b)})
    if ov_keys:
        p = pd.Index(keys).get_indexer(ov_keys)
        changed[p[p >= 0]] = True
    live = np.flatnonzero(prev_pos >= 0)
    live_of_prev = np.full(n_prev, -1, dtype=np.int64)  # previous position → current one, -1: gone
    live_of_prev[prev_pos[live]] = live
    cur_of_prev = np.full(n_prev, -1, dtype=np.int64)  # the same for unchanged records only
    cur_of_prev[prev_pos[~changed]] = np.flatnonzero(~changed)
    chg = np.flatnonzero(changed)

    # blocking: keep unchanged records' key values, add the changed ones, re-pair touched blocks
    sub = Columns.of_rows(frame, chg)
    blocks, ti, tj = {}, [], []
    cap = config.max_block_size
    for name, fn in BLOCKING_KEYS.items():
        rows_p, vals_p = cache.blocks[name]
        m = cur_of_prev[rows_p]
        keep = m >= 0
        r_new, v_new = fn(sub) if len(chg) else (np.zeros(0, np.int64), np.zeros(0, np.uint64))
        rows = np.concatenate([m[keep], chg[r_new]])
        vals = np.concatenate([vals_p[keep], v_new])
        blocks[name] = (rows, vals)
        touched = pd.unique(np.concatenate([v_new, vals_p[~keep]]))
        if len(touched) == 0:
            continue
        sel = isin_hashes(vals, touched)
        if _cap_crossed(vals[sel], v_new, vals_p[~keep], cap):
            return None, carried, "block_cap_crossed"
        i, j, _ = block_pairs(rows[sel], vals[sel], cap)
        ti.append(i)
        tj.append(j)
    (mi, mj), (ci, cj) = ov["must_link"], ov["cannot_link"]
    a, b = cur_of_prev[cache.pi], cur_of_prev[cache.pj]
    keep = (a >= 0) & (b >= 0)
    old_codes = _codes(a[keep], b[keep], n)
    cand = np.concatenate([*(_codes(i, j, n) for i, j in zip(ti, tj)), _codes(mi, mj, n), _codes(ci, cj, n)])
    cand = sorted_unique(cand[np.minimum(cand // max(n, 1), cand % max(n, 1)) != np.maximum(cand // max(n, 1), cand % max(n, 1))])
    new_codes = cand[~isin_codes(cand, old_codes)]
    timings = {"block": time.perf_counter() - t0, "block_cpu": time.process_time() - c0}

    t0, c0 = time.perf_counter(), time.process_time()
    nl, nv = _sub_compare(frame, new_codes // n, new_codes % n, config)
    allc = np.concatenate([old_codes, new_codes])
    order = merged_order(old_codes, new_codes)  # both sorted: merged, not sorted again
    allc = allc[order]
    levels = np.take(np.concatenate([cache.levels[keep], nl]), order, axis=0)  # 3x faster than [order] for rows
    veto = np.concatenate([cache.veto[keep], nv])[order]
    i, j = allc // max(n, 1), allc % max(n, 1)
    params = carried
    pats, old_pat, new_pat = extend_patterns(cache.pats, nl)
    inverse = np.concatenate([old_pat[cache.inverse[keep]], new_pat])[order]
    weight = pattern_weights(pats, params)[inverse] if len(pats) else np.zeros(0)
    sp = ScoredPairs(i, j, levels, veto, weight, probability(weight, params.prior), pats, inverse)
    must_codes, cannot_codes = _codes(mi, mj, n), _codes(ci, cj, n)
    strong, bad = _strong_bad(sp, allc, must_codes, cannot_codes, config)
    timings.update({"score": time.perf_counter() - t0, "score_cpu": time.process_time() - c0})

    t0, c0 = time.perf_counter(), time.process_time()
    dirty_prev_comp = np.zeros(n_prev, bool)
    dirty_prev_comp[cache.comp[~kept_prev]] = True
    dirty_prev_comp[cache.comp[prev_pos[chg[prev_pos[chg] >= 0]]]] = True
    mark = changed.copy()
    unch = np.flatnonzero(~changed)
    mark[unch] = dirty_prev_comp[cache.comp[prev_pos[unch]]]
    # the unchanged ends of new pairs that matter: a new strong edge joins their component to the
    # changed record's; a new pair between two unchanged records (their block shrank back under the
    # cap when a changed record left it) is new evidence for both, whose pair must be decided too.
    # (A new weak pair with a changed end is decided with that end's clusters.)
    new_at = np.flatnonzero(order >= len(old_codes))
    ni, nj = i[new_at], j[new_at]
    ends = strong[new_at] | (~changed[ni] & ~changed[nj])
    mark[ni[ends]] = True
    mark[nj[ends]] = True
    # affected: the records of every previous component that holds a marked record, and the changed
    # records; exactly the records whose component (now) holds a marked record. A path from an
    # unchanged record to the first marked record on it runs over unchanged pairs (new strong edges
    # end in marked records), which were strong edges before too, so the two shared a previous
    # component. No components over the whole tenant.
    prev_hit = np.zeros(n_prev, bool)
    marked_unch = unch[mark[unch]]
    prev_hit[cache.comp[prev_pos[marked_unch]]] = True
    affected = changed.copy()
    affected[unch] = prev_hit[cache.comp[prev_pos[unch]]]
    A = np.flatnonzero(affected)
    local = np.full(n, -1, dtype=np.int64)
    local[A] = np.arange(len(A))

    def conflict(pi, pj):
        gi, gj = A[pi], A[pj]
        lv, vt = compared(lambda a, b: _sub_compare(frame, a, b, config), (allc, sp.levels, sp.veto), gi, gj, n)
        return (vt >= 0) | (level_weights(lv, params) < config.conflict_weight) | isin_codes(_codes(gi, gj, n), cannot_codes)

    s_in = strong & affected[sp.i]
    m_in = affected[mi]
    b_in = bad & affected[sp.i] & affected[sp.j]
    sub_comp: list = []
    sub_labels, refused = cluster(len(A), local[sp.i[s_in]], local[sp.j[s_in]], sp.weight[s_in], local[mi[m_in]],
                                  local[mj[m_in]], conflict, (local[sp.i[b_in]], local[sp.j[b_in]]), config.max_exact_component,
                                  sub_comp)
    # labels, and the strong-edge components for the next run: the affected records' from their
    # clustering (the affected records are closed under strong edges), every other record's as before
    rest = np.flatnonzero(~affected)
    if same_order:  # the same positions: the previous arrays copied whole, then the affected written
        labels, comp = cache.labels.copy(), cache.comp.copy()
        # the label and component ids of unaffected records are unaffected records, so unchanged
        broken = bool(changed[labels[rest]].any() or changed[comp[rest]].any())
    else:
        labels, comp = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
        labels[rest] = cur_of_prev[cache.labels[prev_pos[rest]]]
        comp[rest] = cur_of_prev[cache.comp[prev_pos[rest]]]
        broken = bool(len(rest) and min(labels[rest].min(), comp[rest].min()) < 0)
    if broken:  # cannot happen (unaffected clusters are unchanged); stay safe
        return None, carried, "inconsistent_cache"
    labels[A] = A[sub_labels]
    comp[A] = A[sub_comp[0]]
    timings.update({"cluster": time.perf_counter() - t0, "cluster_cpu": time.process_time() - c0})

    t0, c0 = time.perf_counter(), time.process_time()
    pA = prev_pos[A]
    sub_prev = np.concatenate([pA[pA >= 0], np.flatnonzero(~kept_prev & (cur_of_prev < 0))])
    sub_prev = sorted_unique(sub_prev)
    sub_state = GoldenState(previous.xref.iloc[sub_prev].reset_index(drop=True), previous.aliases, previous.created_at,
                            previous.golden_hashes, previous.updated_at)
    prev_gid = previous.xref["golden_id"].to_numpy(dtype=object)
    if same_order:  # a copy of the previous ids (affected ones are written below)
        golden = np.array(prev_gid, dtype=object, copy=True)
    else:
        golden = np.empty(n, dtype=object)
        golden[rest] = prev_gid[prev_pos[rest]]
    # the ids in use outside the affected records: the previous golden table's (the cache belongs to
    # the published tables, so they are exactly the previous xref's ids), looked up through the
    # index that the golden table's patch below uses too, not by hashing a million xref rows
    old_gc = PatchedFrame.of(cache.golden_contacts)
    # each affected record's previous row, by its previous position (not looked up by key)
    had = np.flatnonzero(pA >= 0)
    prev_raw_A = np.full(len(A), None, dtype=object)
    prev_raw_A[had] = prev_gid[pA[had]]
    gA, new_aliases, created, prev_raw = assign_ids(tenant_id, pd.Series(keys[A]), labels[A], sub_state, stamp,
                                                    lambda ids: old_gc.has("golden_id", ids), prev_raw_A)
    golden[A] = gA
    amap = previous.alias_map()
    prev_resolved = resolve_series(prev_raw, amap)
    # link method and probability of the affected records: a strong pair inside a cluster that holds an
    # affected record has both ends affected, so the pairs touching A decide them
    onA = np.flatnonzero(affected[sp.i])
    method, prob = _link_method(n, labels, SimpleNamespace(i=sp.i[onA], j=sp.j[onA], prob=sp.prob[onA]), strong[onA], mi, mj, A)
    fA = pd.DataFrame({"source": src_all[A], "source_id": sid_all[A]})  # what build_xref reads
    old_linked_at = np.full(len(A), None, dtype=object)
    old_linked_at[had] = previous.xref["linked_at"].iloc[pA[had]].astype(str).to_numpy(dtype=object)
    xA = build_xref(tenant_id, fA, gA, labels[A], method, prob, sub_state, prev_resolved, stamp, old_linked_at)
    px = previous.xref
    cols = {}
    for c in XREF_COLUMNS:
        if c == "tenant_id":
            continue
        kind = object if c != "match_probability" else float
        if same_order and c in ("source", "source_id"):  # the same records in the same order: as they were
            cols[c] = px[c]
            continue
        if same_order and isinstance(px[c].dtype, pd.StringDtype):
            column = _text_with(px[c], A, xA[c].to_numpy(dtype=object))
            if column is not None:
                cols[c] = column
                continue
        if same_order:  # the usual case: the previous xref row by row, then the affected rows
            # a copy made here, not by ``to_numpy(copy=True)``: pandas 3.1 hands out the column's own
            # array when NumPy answers the dtype with a view, as for an unpickled object array, and
            # the rows written below would then change the previous xref they are compared with
            arr = np.array(px[c].to_numpy(dtype=kind), dtype=kind, copy=True)
        else:
            arr = np.empty(n, dtype=kind)
            arr[rest] = px[c].to_numpy(dtype=kind)[prev_pos[rest]]
        arr[A] = xA[c].to_numpy(dtype=kind)
        cols[c] = _like(px[c], arr, A if same_order else None)
    xref = pd.DataFrame({"tenant_id": tenant_id, **cols}, columns=XREF_COLUMNS, copy=False)

    # survivorship: affected clusters, plus clusters whose parent record sits in an affected cluster
    surv_rows = affected.copy()
    has_parent = frame["parent_source_id"].notna().to_numpy()
    if has_parent.any():
        rows = np.flatnonzero(has_parent)  # the parents' keys of these only
        parent_keys = record_keys(src_all[rows],
                                  frame["parent_source_id"].to_numpy(dtype=object)[rows])
        hitp = np.zeros(n, bool)
        hitp[rows] = pd.Series(parent_keys).isin(set(keys[A].tolist())).to_numpy()
        if hitp.any():
            surv_rows |= pd.Series(labels).isin(set(labels[hitp].tolist())).to_numpy()
    S = np.flatnonzero(surv_rows)
    gS = golden[S]
    lookup = lambda pkey: pkey.map(pd.Series(golden, index=keys))  # noqa: E731
    created_all = {g: created.get(g) for g in set(gS.tolist())}
    unknown = [g for g, at in created_all.items() if not at]  # ids assign_ids did not see: the previous table's
    created_all.update(zip(unknown, previous.created_at.lookup(unknown, stamp).tolist()))
    new_rows = (_golden_table(frame.iloc[S].reset_index(drop=True), gS, lookup, created_all, previous, stamp, tenant_id, config)
                if len(S) else old_gc.base.iloc[:0])
    dropped = set(prev_gid[sub_prev].tolist()) | set(gS.tolist()) | set(prev_gid[prev_pos[S][prev_pos[S] >= 0]].tolist())
    golden_contacts = old_gc.patch(old_gc.isin("golden_id", dropped), new_rows)
    timings.update({"survive": time.perf_counter() - t0, "survive_cpu": time.process_time() - c0})

    t0, c0 = time.perf_counter(), time.process_time()
    aliases = _merge_aliases(previous, new_aliases, golden)
    present_prev = live_of_prev >= 0
    # the previous rows of records no longer live: in the sub-state (every other record there is affected)
    history = build_history(tenant_id, xA, prev_raw, prev_resolved, new_aliases, sub_state, stamp,
                            sub_state.xref[~present_prev[sub_prev]])
    touch = np.flatnonzero(affected[sp.i] | affected[sp.j])  # pairs whose decision may have changed
    tsp = ScoredPairs(sp.i[touch], sp.j[touch], sp.levels[touch], sp.veto[touch], sp.weight[touch], sp.prob[touch],
                      sp.pats, sp.inverse[touch])
    dec = decide(tsp, labels, strong[touch], must_codes, cannot_codes, n, config.review_probability)
    sel = np.flatnonzero(dec != "")
    new_pairs = build_pairs(tenant_id, {"source": src_all, "source_id": sid_all}, golden, tsp, dec, pattern_ids(sp.pats), stamp)
    qa, qb = cur_of_prev[cache.pair_i], cur_of_prev[cache.pair_j]
    pkeep = (qa >= 0) & (qb >= 0)
    pkeep[pkeep] = ~affected[qa[pkeep]] & ~affected[qb[pkeep]]
    # only the pairs that differ from the published ones are written (``core.golden.delta``)
    old_pairs = PatchedFrame.of(cache.pairs).take(np.flatnonzero(~pkeep))  # the published pairs re-decided
    pair_codes = _pair_codes(tsp.i[sel], tsp.j[sel], live_of_prev, n, cache.pair_i[~pkeep], cache.pair_j[~pkeep])
    new_pairs, pairs_written, old_differs = changed_pairs(new_pairs, old_pairs, pair_codes)
    pairs = PatchedFrame.of(cache.pairs).patch(~pkeep, new_pairs)
    pair_i = np.concatenate([qa[pkeep], tsp.i[sel]])
    pair_j = np.concatenate([qb[pkeep], tsp.j[sel]])
    pair_review = np.concatenate([cache.pair_review[pkeep], dec[sel] == "review"])
    pair_pats = np.concatenate([old_pat[cache.pair_pats[pkeep]], tsp.inverse[sel]])
    review, patterns = review_and_patterns(tenant_id, pairs, pair_review, pair_pats, sp.pats, params,
                                           config.auto_merge_probability, stamp)
    timings.update({"explain": time.perf_counter() - t0, "explain_cpu": time.process_time() - c0})
    stats = {"records": n, "candidate_pairs": int(len(allc)), "pairs_per_record": len(allc) / n if n else 0.0,
             "scored_pairs": int(len(new_codes)), "strong_pairs": int(strong.sum()), "refused_edges": len(refused),
             "golden_contacts": len(golden_contacts), "review_pairs": len(review), "prior": params.prior,
             "em_iterations": 0, "mode": "incremental", "changed_records": int(len(chg)),
             "deleted_records": int(n_prev - (prev_pos >= 0).sum()), "affected_records": int(len(A)),
             "resurvived_records": int(len(S))}
    gone = np.flatnonzero(~present_prev)  # previous records that are no longer live
    # only the rows that differ from the published ones are written (``core.golden.delta``)
    x_aff = xref.iloc[A].reset_index(drop=True)
    xdiff = changed_xref(x_aff, previous.xref.iloc[np.maximum(pA, 0)].reset_index(drop=True), pA >= 0)
    records = pd.DataFrame({"source": np.concatenate([src_all[A[xdiff]], cache.sources[gone]]),
                            "source_id": np.concatenate([sid_all[A[xdiff]],
                                                         cache.source_ids[gone]])})
    golden_ids, golden_rows = changed_golden(np.array(sorted(dropped), dtype=object), new_rows.reset_index(drop=True),
                                             old_gc)
    written = new_pairs[pairs_written][list(pairs.columns)].reset_index(drop=True)
    # the keys of the pairs written too: publishing the same delta again replaces its own pairs
    pair_keys = pd.concat([old_pairs.loc[old_differs, PAIR_KEY], written[PAIR_KEY]])
    # without repeats (a pair deleted and written again), told apart by the pairs' codes
    _, first = np.unique(np.concatenate([pair_codes[1][old_differs], pair_codes[0][pairs_written]]), return_index=True)
    pair_keys = pair_keys.iloc[np.sort(first)]
    delta = ResolutionDelta(golden_ids, golden_rows, records, x_aff[xdiff].reset_index(drop=True), written,
                            pair_keys.reset_index(drop=True))
    stats.update(delta_golden_rows=len(golden_rows), delta_xref_rows=int(xdiff.sum()),
                 delta_pairs=int(pairs_written.sum()), delta_pairs_removed=int(old_differs.sum()))
    new_cache = MatchCache(tenant_id, cache.config, keys, src_all, sid_all, hashes, params, blocks, sp.i, sp.j, sp.levels, sp.veto, sp.pats,
                           sp.inverse, comp, labels,
                           ovset, pair_i, pair_j, pair_review, pair_pats, golden_contacts, pairs)
    return Resolution(golden_contacts, xref, aliases, history, pairs, review, params, stats, timings, new_cache,
                      patterns, delta), carried, "ok"
