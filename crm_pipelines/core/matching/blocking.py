"""Candidate pairs from several blocking keys with a cap on block sizes (never n², never cross-tenant)."""

from __future__ import annotations

import numpy as np
import pandas as pd

# name → function(frame) -> Series of key strings ('' = no key); '|' separates several values.
BLOCKING_KEYS = {
    "email": lambda f: f["email_keys"],
    "phone": lambda f: f["phone_keys"],
    "vat_id": lambda f: f["vat_id"].where(f["vat_valid"], None),
    "customer_number": lambda f: f["customer_number"],
    "supplier_number": lambda f: f["supplier_number"],
    "last_phon_postal": lambda f: _join(f["last_phon"], f["postal_code"]),
    "names_phon": lambda f: _join(_sorted_pair(f["first_phon"], f["last_phon"]), f["kind"]),
    "last_first_initial": lambda f: _join(f["last_key"], f["first_key"].str[:1], f["city_key"]),
    "company_postal": lambda f: _join(f["company_phon"], f["postal_code"]),
    "company_city": lambda f: _join(f["company_key"], f["city_key"]),
    "street_postal_last": lambda f: _join(f["street_key"], f["house_number"], f["postal_code"], f["last_key"].str[:3]),
}


def _join(*cols: pd.Series) -> pd.Series:
    filled = [c.fillna("").astype(str) for c in cols]
    empty = np.zeros(len(filled[0]), dtype=bool)
    out = filled[0]
    for c in filled:
        empty |= (c == "").to_numpy()
    for c in filled[1:]:
        out = out + "\x1f" + c
    return out.where(~empty, "")


def _sorted_pair(a: pd.Series, b: pd.Series) -> pd.Series:
    a, b = a.fillna(""), b.fillna("")
    swap = (a > b).to_numpy()
    lo, hi = a.where(~swap, b), b.where(~swap, a)
    return _join(lo, hi)


def _explode(keys: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    keys = keys.fillna("").astype(str)
    mask = (keys != "").to_numpy()
    rows = np.flatnonzero(mask)
    vals = keys.to_numpy()[mask]
    multi = pd.Series(vals, dtype=object).str.contains("|", regex=False).to_numpy(bool) if len(vals) else np.zeros(0, bool)
    if multi.any():
        extra_rows, extra_vals = [], []
        for r, v in zip(rows[multi], vals[multi]):
            for part in v.split("|"):
                extra_rows.append(r)
                extra_vals.append(part)
        rows = np.concatenate([rows[~multi], np.asarray(extra_rows, dtype=rows.dtype)])
        vals = np.concatenate([vals[~multi], np.asarray(extra_vals, dtype=object)])
    return rows, vals


def block_pairs(rows: np.ndarray, vals: np.ndarray, max_block_size: int) -> tuple[np.ndarray, np.ndarray, int]:
    """All pairs inside blocks of 2..max_block_size rows; returns (i, j, dropped_blocks)."""
    if len(rows) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), 0
    uniq_inverse, _ = pd.factorize(vals)
    sizes = np.bincount(uniq_inverse)
    keep = (sizes[uniq_inverse] >= 2) & (sizes[uniq_inverse] <= max_block_size)
    dropped = int((sizes > max_block_size).sum())
    g, r = uniq_inverse[keep], rows[keep]
    order = np.lexsort((r, g))
    g, r = g[order], r[order]
    ii, jj = [], []
    max_k = int(sizes[sizes <= max_block_size].max()) if len(g) else 0
    for d in range(1, max_k):
        same = g[:-d] == g[d:]
        if not same.any():
            break
        ii.append(r[:-d][same])
        jj.append(r[d:][same])
    if not ii:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), dropped
    return np.concatenate(ii).astype(np.int64), np.concatenate(jj).astype(np.int64), dropped


def candidate_pairs(frame: pd.DataFrame, max_block_size: int = 60, keys: dict | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Unique candidate pairs (i < j, positional) over all blocking keys of one tenant's frame."""
    n = len(frame)
    stats: dict = {"records": n, "dropped_blocks": 0}
    codes = []
    for name, fn in (keys or BLOCKING_KEYS).items():
        rows, vals = _explode(fn(frame))
        i, j, dropped = block_pairs(rows, vals, max_block_size)
        stats["dropped_blocks"] += dropped
        stats[f"pairs_{name}"] = len(i)
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        codes.append(lo[lo != hi] * n + hi[lo != hi])
    allc = np.unique(np.concatenate(codes)) if codes else np.zeros(0, np.int64)
    i, j = allc // max(n, 1), allc % max(n, 1)
    if "tenant_id" in frame and len(i):
        tenants = frame["tenant_id"].to_numpy()
        if not (tenants[i] == tenants[j]).all():
            raise AssertionError("blocking produced a cross-tenant pair")
    stats["candidate_pairs"] = len(i)
    stats["pairs_per_record"] = len(i) / n if n else 0.0
    return i, j, stats
