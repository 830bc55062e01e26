"""What the UI shows of a tenant's golden tables after a publish, taken from the resolution that is
published: the largest golden contacts, the xref's link methods, the pairs' decisions and the
weakest automatic merges. Read back from the published tables, the same four answers took a sort of
the golden rows, two group-bys and a join over a million rows on every run (2.4 s at 1M records on
SQLite, most of a 1%-changed run's publish step); here they are a few column scans in memory.

Each answer equals its query over the published tables (``defs.golden_logic.queried_summary``), ties
included: the largest contacts by member count, then golden id; the weakest merges by probability,
then the pair's records."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pandas as pd

from .patched import PatchedFrame

PREVIEW_COLUMNS = ["golden_id", "kind", "first_name", "last_name", "company_name", "email", "phone", "city",
                   "member_count", "sources"]
WEAKEST_COLUMNS = ["source_a", "source_id_a", "source_b", "source_id_b", "match_probability", "decision", "explanation"]
PREVIEW_ROWS, WEAKEST_ROWS = 10, 5


def _plain(value):
    """A value as JSON and the database give it: Python numbers, None for missing."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return value


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    return [{c: _plain(v) for c, v in zip(columns, row)} for row in frame[columns].itertuples(index=False, name=None)]


def _counts(values: np.ndarray) -> dict:
    """value → rows holding it (missing values under None)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    out = {_plain(u): int(c) for u, c in zip(uniques, counts)}
    missing = int(np.count_nonzero(codes < 0))
    if missing:
        out[None] = missing
    return out


def largest(golden: PatchedFrame, n: int = PREVIEW_ROWS) -> list[dict]:
    """The ``n`` golden rows with the most members, ties by golden id (ascending)."""
    counts = golden.column("member_count", dtype=np.float64)  # may be the table's own array: not written to
    if not len(counts):
        return []
    counts = np.where(np.isnan(counts), -1.0, counts)  # no count: last, as SQLite sorts NULL below every number
    ids = golden.column("golden_id")
    top = np.unique(counts)[::-1]
    rows: list[int] = []
    for count in top.tolist():  # the largest counts first, each group's smallest ids
        group = np.flatnonzero(counts == count)
        rows += heapq.nsmallest(n - len(rows), group.tolist(), key=ids.__getitem__)
        if len(rows) >= n:
            break
    return _records(_rows(golden, np.asarray(rows, dtype=np.int64)), PREVIEW_COLUMNS)


def _rows(table: PatchedFrame, rows: np.ndarray) -> pd.DataFrame:
    """The rows at positions ``rows``, in that order (``take`` wants them sorted)."""
    ordered = np.sort(rows)
    return table.take(ordered).iloc[np.searchsorted(ordered, rows)].reset_index(drop=True)


def weakest_merges(pairs: PatchedFrame, patterns: pd.DataFrame | None, decisions: np.ndarray | None = None,
                   n: int = WEAKEST_ROWS) -> list[dict]:
    """The ``n`` automatic merges with the lowest probability (ties by their records), with the
    explanation of their pattern (a pair whose pattern is unknown is left out, as by a join).
    ``decisions``: the pairs' decision column, if the caller has it already."""
    if not len(pairs) or patterns is None or not len(patterns):
        return []
    explanation = pd.Series(patterns["explanation"].to_numpy(dtype=object),
                            index=pd.Index(patterns["pattern_id"].to_numpy(dtype=np.int64)))
    decisions = pairs.column("decision") if decisions is None else decisions
    pattern = pairs.column("pattern_id", dtype=np.float64)  # missing as NaN
    rows = np.flatnonzero((decisions == "auto_merge") & ~np.isnan(pattern))
    rows = rows[explanation.index.get_indexer(pattern[rows].astype(np.int64)) >= 0]
    probability = pairs.column("match_probability", dtype=np.float64)[rows]
    if len(rows) > n:  # the candidates: up to the n-th lowest probability, ties included
        keep = probability <= np.partition(probability, n - 1)[n - 1]
        rows, probability = rows[keep], probability[keep]
    if not len(rows):
        return []
    frame = _rows(pairs, rows)
    order = np.lexsort((*(frame[c].to_numpy(dtype=object) for c in WEAKEST_COLUMNS[3::-1]), probability))[:n]
    frame = frame.iloc[order].reset_index(drop=True)
    frame["explanation"] = explanation.loc[frame["pattern_id"].to_numpy(dtype=np.int64)].to_numpy()
    return _records(frame, WEAKEST_COLUMNS)


def summary(resolution) -> dict:
    """The UI's view of the tables ``resolution`` publishes (see the module's docstring)."""
    golden = PatchedFrame.of(type(resolution).golden_contacts.raw(resolution))
    pairs = PatchedFrame.of(type(resolution).pairs.raw(resolution))
    decisions = pairs.column("decision") if len(pairs) else None
    return {"largest": largest(golden), "link_methods": _counts(resolution.xref["link_method"].to_numpy(dtype=object)),
            "decisions": _counts(decisions) if decisions is not None else {},
            "weakest_merges": weakest_merges(pairs, resolution.patterns, decisions)}
