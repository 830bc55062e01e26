"""Builders for the resolve outputs: xref, link history, explained pairs and the review queue."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..matching.comparisons import VETO_REASONS
from ..matching.explain import pattern_explanations
from ..matching.model import pattern_ids, pattern_weights
from ..arrays import filled, isin_codes, pick
from .ids import XREF_COLUMNS, record_keys
from .patched import PatchedFrame

HISTORY_COLUMNS = ["tenant_id", "source", "source_id", "event", "golden_id", "previous_golden_id", "link_method", "reason", "at"]
PAIR_COLUMNS = ["tenant_id", "source_a", "source_id_a", "source_b", "source_id_b", "golden_id_a", "golden_id_b",
                "match_weight", "match_probability", "decision", "pattern_id", "created_at"]
PATTERN_COLUMNS = ["tenant_id", "pattern_id", "match_weight", "explanation", "created_at"]
REVIEW_COLUMNS = ["tenant_id", "source_a", "source_id_a", "source_b", "source_id_b", "golden_id_a", "golden_id_b",
                  "match_weight", "match_probability", "reason", "explanation", "queued_at"]


def build_xref(tenant_id, frame, golden, labels, link_method, match_prob, state, prev_resolved, now,
               old_linked_at: np.ndarray | None = None) -> pd.DataFrame:
    """``old_linked_at``: each record's previous ``linked_at`` (as text), when the caller knows it
    (an incremental run, from the records' previous positions); otherwise looked up by key in
    ``state.xref``. A record keeps it when it keeps its golden id."""
    linked_at = filled(len(frame), now)
    if old_linked_at is not None:
        same = prev_resolved.to_numpy(dtype=object) == golden
        linked_at[same] = np.asarray(old_linked_at, dtype=object)[same]
    elif state is not None and len(state.xref):
        keys = pd.Series(record_keys(frame["source"], frame["source_id"]))
        old_keys = record_keys(state.xref["source"], state.xref["source_id"])
        old_at = keys.map(pd.Series(state.xref["linked_at"].astype(str).to_numpy(), index=old_keys)).to_numpy(dtype=object)
        same = prev_resolved.to_numpy(dtype=object) == golden
        linked_at[same] = old_at[same]
    return pd.DataFrame({
        "tenant_id": tenant_id, "source": frame["source"].to_numpy(), "source_id": frame["source_id"].to_numpy(),
        "golden_id": golden, "link_method": link_method, "match_probability": match_prob, "linked_at": linked_at,
    }, columns=XREF_COLUMNS)


def build_history(tenant_id, xref, prev_raw, prev_resolved, new_aliases, state, now,
                  gone: pd.DataFrame | None = None) -> pd.DataFrame:
    """Link events of this run. ``gone``: the previous xref rows of records that are no longer
    live, when the caller knows them (an incremental run); otherwise the rows of ``state.xref``
    whose record is not in ``xref``."""
    prev_raw = prev_raw.to_numpy(dtype=object)
    golden = xref["golden_id"].to_numpy(dtype=object)
    new = pd.isna(prev_raw)
    moved = ~new & (prev_raw != golden)
    merged_ids = set(new_aliases["alias_id"]) if len(new_aliases) else set()
    merged = np.array([p in merged_ids for p in prev_raw], dtype=bool) if merged_ids else np.zeros(len(prev_raw), bool)
    sel = new | moved
    reason = pick(("new_record", "merged", "split_or_relinked"), np.where(new, 0, np.where(merged, 1, 2))[sel])
    hist = pd.DataFrame({
        "tenant_id": tenant_id, "source": xref["source"].to_numpy()[sel], "source_id": xref["source_id"].to_numpy()[sel],
        "event": pick(("linked", "relinked"), ~new[sel]), "golden_id": golden[sel], "previous_golden_id": prev_raw[sel],
        "link_method": xref["link_method"].to_numpy()[sel], "reason": reason, "at": now,
    }, columns=HISTORY_COLUMNS)
    # alias-only changes (the record's id was folded into another) are relinks too; already covered above
    if gone is None and state is not None and len(state.xref):
        cur = pd.MultiIndex.from_arrays([xref["source"].astype(str), xref["source_id"].astype(str)])
        old_keys = pd.MultiIndex.from_arrays([state.xref["source"].astype(str), state.xref["source_id"].astype(str)])
        gone = state.xref[~old_keys.isin(cur)]
    if gone is not None and len(gone):
        hist = pd.concat([hist, pd.DataFrame({
            "tenant_id": tenant_id, "source": gone["source"].to_numpy(), "source_id": gone["source_id"].to_numpy(),
            "event": "unlinked", "golden_id": None, "previous_golden_id": gone["golden_id"].to_numpy(),
            "link_method": None, "reason": "deleted_or_missing", "at": now}, columns=HISTORY_COLUMNS)], ignore_index=True)
    return hist


def decide(sp, labels, strong, must_codes, cannot_codes, n, review_p) -> np.ndarray:
    """Decision per scored pair ('' = not reported)."""
    codes = np.minimum(sp.i, sp.j) * n + np.maximum(sp.i, sp.j)
    same = labels[sp.i] == labels[sp.j]
    dec = filled(len(sp.i), "")
    grey = (sp.prob >= review_p) & ~strong
    dec[grey & ~same] = "review"
    dec[grey & same] = "transitive"
    dec[strong & same] = "auto_merge"
    dec[strong & ~same] = "review"
    vetoed = (sp.veto >= 0) & (sp.prob >= review_p)
    dec[vetoed] = pick(["veto:" + reason for reason in VETO_REASONS], sp.veto[vetoed])
    dec[isin_codes(codes, must_codes)] = "must_link"
    dec[isin_codes(codes, cannot_codes)] = "cannot_link"
    return dec


def build_pairs(tenant_id, frame, golden, sp, dec, pids, now) -> pd.DataFrame:
    """Reported pairs; ``pids`` = pattern id per distinct pattern of ``sp`` (the explanation is the
    pattern's, stored once per tenant in match_patterns). ``frame``: the records' ``source`` and
    ``source_id`` (a DataFrame, or a mapping to arrays)."""
    sel = np.flatnonzero(dec != "")
    i, j = sp.i[sel], sp.j[sel]
    src, sid = np.asarray(frame["source"], dtype=object), np.asarray(frame["source_id"], dtype=object)
    return pd.DataFrame({
        "tenant_id": tenant_id, "source_a": src[i], "source_id_a": sid[i], "source_b": src[j], "source_id_b": sid[j],
        "golden_id_a": golden[i], "golden_id_b": golden[j], "match_weight": np.round(sp.weight[sel], 4),
        "match_probability": sp.prob[sel], "decision": dec[sel],
        "pattern_id": np.asarray(pids, dtype=np.int64)[sp.inverse[sel]] if len(sel) else np.zeros(0, np.int64),
        "created_at": now,
    }, columns=PAIR_COLUMNS)


def build_patterns(tenant_id, used_ids: np.ndarray, pids, weights, expl, now) -> pd.DataFrame:
    """The explanation of every pattern that a reported pair refers to (``used_ids``: their pattern ids)."""
    used = np.isin(np.asarray(pids, dtype=np.int64), used_ids)
    return pd.DataFrame({"tenant_id": tenant_id, "pattern_id": np.asarray(pids, dtype=np.int64)[used],
                         "match_weight": np.round(np.asarray(weights, dtype=float)[used], 4),
                         "explanation": np.asarray(expl, dtype=object)[used], "created_at": now}, columns=PATTERN_COLUMNS)


def review_and_patterns(tenant_id, pairs: "pd.DataFrame | PatchedFrame", is_review: np.ndarray, pair_pats: np.ndarray,
                        pats: np.ndarray, params, auto_p: float, now):
    """(review queue, match_patterns rows) for the reported ``pairs``: ``is_review`` marks the rows
    decided 'review', ``pair_pats`` gives each row's pattern (an index into ``pats``). ``pairs`` may
    be an incremental run's PatchedFrame: only its review rows are copied."""
    pids, expl = pattern_ids(pats), pattern_explanations(pats, params)
    to_review = PatchedFrame.of(pairs).take(np.flatnonzero(is_review))
    review = build_review(to_review, auto_p, now, pd.Series(expl, index=pids, dtype=object))
    used = np.asarray(pids, dtype=np.int64)[np.bincount(pair_pats, minlength=len(pats))[:len(pats)] > 0]
    return review, build_patterns(tenant_id, used, pids, pattern_weights(pats, params), expl, now)


def build_review(to_review: pd.DataFrame, auto_p: float, now, explanations: pd.Series) -> pd.DataFrame:
    """Pairs for a steward (``to_review``: the pairs decided 'review'), each with its explanation
    spelled out (``explanations``: pattern id → text)."""
    q = to_review.copy()
    q["explanation"] = q["pattern_id"].map(explanations).to_numpy(dtype=object)
    q["reason"] = pick(("grey_band", "conflicts_with_cluster"), (q["match_probability"] >= auto_p).to_numpy())
    q["queued_at"] = now
    return q[REVIEW_COLUMNS].reset_index(drop=True)
