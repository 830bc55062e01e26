"""Candidate pairs from several blocking keys with a cap on block sizes (never n², never cross-tenant)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..arrays import sorted_unique
from .comparisons import Columns, columns

# name → function(columns) -> object array of key strings ('' = no key); '|' separates several values.
# Every key carries an identifier (e-mail, phone, ids, address, birthday) or a place: names alone never
# auto-merge (``require_identifier``), so a names-only key (phonetic first+last) would only add
# review-queue noise; it grew to 3/4 of all pairs and superlinearly with the tenant's size.
BLOCKING_KEYS = {
    "email": lambda c: c.text["email_keys"],
    "phone": lambda c: c.text["phone_keys"],
    "vat_id": lambda c: np.where(c.vat_valid, c.text["vat_id"], ""),
    "customer_number": lambda c: c.text["customer_number"],
    "supplier_number": lambda c: c.text["supplier_number"],
    "last_phon_postal": lambda c: _join(c.text["last_phon"], c.text["postal_code"]),
    "last_first_initial": lambda c: _join(c.text["last_key"], _prefix(c.text["first_key"], 1), c.text["city_key"]),
    "company_postal": lambda c: _join(c.text["company_phon"], c.text["postal_code"]),
    "company_city": lambda c: _join(c.text["company_key"], c.text["city_key"]),
    "street_postal": lambda c: _join(c.text["street_key"], c.text["house_number"], c.text["postal_code"]),
    "birthday_last_phon": lambda c: _join(c.text["birthday"], c.text["last_phon"]),
}


def key_hashes(vals: np.ndarray) -> np.ndarray:
    """uint64 hash per key value (the incremental cache's block values)."""
    return pd.util.hash_array(np.asarray(vals, dtype=object), categorize=False) if len(vals) else np.zeros(0, np.uint64)


def _prefix(a: np.ndarray, k: int) -> np.ndarray:
    return np.array([x[:k] for x in a.tolist()], dtype=object)


def _join(*cols: np.ndarray) -> np.ndarray:
    """'\x1f'-joined columns; '' where any part is empty."""
    empty = np.zeros(len(cols[0]), dtype=bool)
    for c in cols:
        empty |= c == ""
    out = cols[0]
    for c in cols[1:]:
        out = out + "\x1f" + c
    return np.where(empty, "", out) if len(out) else out


def _sorted_pair(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    swap = a > b
    return _join(np.where(swap, b, a), np.where(swap, a, b))


def _explode(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mask = keys != ""
    rows = np.flatnonzero(mask)
    vals = keys[mask]
    multi = np.fromiter(("|" in v for v in vals.tolist()), bool, len(vals))
    if multi.any():
        extra_rows, extra_vals = [], []
        for r, v in zip(rows[multi].tolist(), vals[multi].tolist()):
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


def candidate_pairs(frame: "pd.DataFrame | Columns", max_block_size: int = 60, keys: dict | None = None,
                    blocks: dict | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Unique candidate pairs (i < j, positional) over all blocking keys of one tenant's frame.
    ``blocks`` (a dict), when given, receives name → (rows, uint64 hashes of the key values) of every
    key (for incremental runs)."""
    frame = columns(frame)
    n = len(frame)
    stats: dict = {"records": n, "dropped_blocks": 0}
    codes = []
    for name, fn in (keys or BLOCKING_KEYS).items():
        rows, vals = _explode(fn(frame))
        if blocks is not None:  # 64-bit hashes, not the key strings: keeps the cache small
            blocks[name] = (rows, key_hashes(vals))
        i, j, dropped = block_pairs(rows, vals, max_block_size)
        stats["dropped_blocks"] += dropped
        stats[f"pairs_{name}"] = len(i)
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        codes.append(lo[lo != hi] * n + hi[lo != hi])
    allc = sorted_unique(np.concatenate(codes)) if codes else np.zeros(0, np.int64)
    i, j = allc // max(n, 1), allc % max(n, 1)
    if len(i):
        tenants = frame.text["tenant_id"]
        if not (tenants[i] == tenants[j]).all():
            raise AssertionError("blocking produced a cross-tenant pair")
    stats["candidate_pairs"] = len(i)
    stats["pairs_per_record"] = len(i) / n if n else 0.0
    return i, j, stats
