"""Field-by-field survivorship (vectorized): source priority, most recent, most complete, most
frequent; multi-valued e-mails/phones/roles unioned as typed, deduplicated sets; provenance per field."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ..config import SURVIVING_FIELDS, SurvivorshipConfig


def _rank(sources: pd.Series, priority: list[str]) -> np.ndarray:
    order = {s: k for k, s in enumerate(priority)}
    return sources.map(order).fillna(len(priority)).to_numpy(np.int32)


def _first_per_group(codes_sorted: np.ndarray) -> np.ndarray:
    if len(codes_sorted) == 0:
        return np.zeros(0, bool)
    start = np.ones(len(codes_sorted), bool)
    start[1:] = codes_sorted[1:] != codes_sorted[:-1]
    return start


def _esc(s: pd.Series) -> pd.Series:
    return s.astype(str).str.replace("\\", "\\\\", regex=False).str.replace('"', '\\"', regex=False)


def _union_typed(frame: pd.DataFrame, col: str, code: np.ndarray, multi: np.ndarray, n_groups: int) -> np.ndarray:
    """JSON list per group: members' {type,value} items, first occurrence of each value wins."""
    out = np.empty(n_groups, dtype=object)
    single = ~multi[code]
    out[code[single]] = frame[col].to_numpy(dtype=object)[single]
    rows = np.flatnonzero(~single)
    if len(rows):
        vals = frame[col].to_numpy(dtype=object)
        acc: dict[int, dict] = {}
        for r in rows[np.argsort(code[rows], kind="stable")]:
            seen = acc.setdefault(int(code[r]), {})
            for item in json.loads(vals[r] or "[]"):
                seen.setdefault(item["value"], item)
        for g, items in acc.items():
            out[g] = json.dumps(list(items.values()), ensure_ascii=False)
    return out


def survive(frame: pd.DataFrame, golden_codes: np.ndarray, n_groups: int, config: SurvivorshipConfig) -> pd.DataFrame:
    """``frame`` = active canonical rows, ``golden_codes`` = 0..n_groups-1 per row; returns one row per
    group (index = group code) with the surviving fields, typed sets, provenance JSON, member_count."""
    code = np.asarray(golden_codes, dtype=np.int64)
    counts = np.bincount(code, minlength=n_groups)
    multi = counts > 1
    modified = pd.to_datetime(frame["source_modified_at"], utc=True, errors="coerce")
    recency = -(modified.astype("int64").where(modified.notna(), np.iinfo(np.int64).min + 1).to_numpy() // 10**9)
    sid_rank = pd.factorize(frame["source_id"].astype(str), sort=True)[0]
    out = pd.DataFrame(index=np.arange(n_groups))
    prov_parts = []
    src_esc, sid_esc = _esc(frame["source"]).to_numpy(dtype=object), _esc(frame["source_id"]).to_numpy(dtype=object)
    orders: dict[tuple, np.ndarray] = {}
    for name in SURVIVING_FIELDS:
        rule = config.rule_for(name)
        values = frame[name]
        present = (values.notna() & (values.astype(str) != "")).to_numpy()
        rank = _rank(frame["source"], config.priority_for(name))
        if rule in ("source_priority", "most_recent"):
            key = (rule, tuple(config.priority_for(name)))
            if key not in orders:
                keys = (sid_rank, recency, rank) if rule == "source_priority" else (sid_rank, rank, recency)
                orders[key] = np.lexsort((*keys, code))
            order = orders[key]
        elif rule == "most_complete":
            length = values.fillna("").astype(str).str.len().to_numpy()
            order = np.lexsort((sid_rank, recency, rank, -length, code))
        else:  # most_frequent
            vkey = pd.factorize(values.astype(str))[0]
            freq = pd.Series(code * (vkey.max() + 2) + vkey).map(pd.Series(code * (vkey.max() + 2) + vkey).value_counts()).to_numpy()
            order = np.lexsort((sid_rank, recency, rank, -freq, code))
        order = order[present[order]]
        first = order[_first_per_group(code[order])]
        col = np.full(n_groups, None, dtype=object)
        col[code[first]] = values.to_numpy(dtype=object)[first]
        out[name] = col
        prov = np.full(n_groups, "", dtype=object)
        prov[code[first]] = (f'"{name}":{{"rule":"{rule}","source":"' + src_esc[first] + '","source_id":"' + sid_esc[first] + '"}')
        prov_parts.append(prov)
    joined = prov_parts[0]
    for part in prov_parts[1:]:
        joined = np.where(part == "", joined, np.where(joined == "", part, joined + "," + part))
    out["provenance"] = "{" + pd.Series(joined, dtype=object) + "}"
    out["emails"] = _union_typed(frame, "emails", code, multi, n_groups)
    out["phones"] = _union_typed(frame, "phones", code, multi, n_groups)
    for flat, typed in (("email", "emails"), ("phone", "phones")):
        col = _first_flat(frame, flat, code, n_groups)
        typed_values = out[typed].to_numpy(dtype=object)
        for g in np.flatnonzero(multi):
            items = json.loads(typed_values[g] or "[]")
            col[g] = items[0]["value"] if items else None
        out[flat] = col
    out["roles"] = _union_roles(frame, code, multi, n_groups)
    out["member_count"] = counts
    return out


def _first_flat(frame: pd.DataFrame, col: str, code: np.ndarray, n_groups: int) -> np.ndarray:
    out = np.full(n_groups, None, dtype=object)
    out[code] = frame[col].to_numpy(dtype=object)
    return out


def _union_roles(frame: pd.DataFrame, code: np.ndarray, multi: np.ndarray, n_groups: int) -> np.ndarray:
    out = np.full(n_groups, "[]", dtype=object)
    vals = frame["roles"].to_numpy(dtype=object)
    single = ~multi[code]
    out[code[single]] = vals[single]
    acc: dict[int, set] = {}
    for r in np.flatnonzero(~single):
        acc.setdefault(int(code[r]), set()).update(json.loads(vals[r] or "[]"))
    for g, roles in acc.items():
        out[g] = json.dumps(sorted(roles))
    return out
