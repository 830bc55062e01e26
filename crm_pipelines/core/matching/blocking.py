"""Candidate pairs from several blocking keys with a cap on block sizes (never n², never cross-tenant)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..arrays import sorted_unique
from .comparisons import NO_KEY, Columns, columns, key_hash

# name → function(columns) -> (rows, uint64 key per row): the rows holding a key and a 64-bit hash of
# it (``key_hash``; a key of several columns combines theirs, ``_joined``). A multi-valued column ('|'
# between values) gives one entry per value. Hashes, not key strings: no string building, a fast
# factorize, and the incremental cache keeps them as they are. Every key carries an identifier
# (e-mail, phone, ids, address, birthday) or a place: names alone never auto-merge
# (``require_identifier``), so a names-only key (phonetic first+last) would only add review-queue
# noise; it grew to 3/4 of all pairs and superlinearly with the tenant's size.
BLOCKING_KEYS = {
    "email": lambda c: _several(c, "email_keys"),
    "phone": lambda c: _several(c, "phone_keys"),
    "vat_id": lambda c: _present(np.where(c.vat_valid, c.hashes("vat_id"), NO_KEY)),
    "customer_number": lambda c: _present(c.hashes("customer_number")),
    "supplier_number": lambda c: _present(c.hashes("supplier_number")),
    "last_phon_postal": lambda c: _present(_joined(c.hashes("last_phon"), c.hashes("postal_code"))),
    "last_first_initial": lambda c: _present(_joined(c.hashes("last_key"), _initial(c, "first_key"), c.hashes("city_key"))),
    "company_postal": lambda c: _present(_joined(c.hashes("company_phon"), c.hashes("postal_code"))),
    "company_city": lambda c: _present(_joined(c.hashes("company_key"), c.hashes("city_key"))),
    "street_postal": lambda c: _present(_joined(c.hashes("street_key"), c.hashes("house_number"), c.hashes("postal_code"))),
    "birthday_last_phon": lambda c: _present(_joined(c.hashes("birthday"), c.hashes("last_phon"))),
}

_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd: multiplying by it is a bijection of uint64
_SHIFT = np.uint64(31)


def _present(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows = np.flatnonzero(keys != NO_KEY)
    return rows, keys[rows]


def _joined(*parts: np.ndarray) -> np.ndarray:
    """One key of several columns' hashes (in this order); NO_KEY where any part is missing.
    Each step scrambles what it has (xor-shift, then an odd multiplier: both bijections) and adds
    the next part, so two different tuples of hashes collide with a chance of about 2**-64."""
    out = parts[0].copy()
    missing = parts[0] == NO_KEY
    with np.errstate(over="ignore"):
        for h in parts[1:]:
            missing |= h == NO_KEY
            out ^= out >> _SHIFT
            out *= _MIX
            out += h
    out[out == NO_KEY] = 1  # NO_KEY stays reserved for "no key"
    out[missing] = NO_KEY
    return out


def _initial(c: Columns, col: str) -> np.ndarray:
    """Hash of the first letter of each record's value (NO_KEY where it has none)."""
    text = c.text[col]
    rows = np.flatnonzero(text != "")
    out = np.full(c.n, NO_KEY, dtype=np.uint64)
    out[rows] = key_hash(np.array([x[:1] for x in text[rows].tolist()], dtype=object), few_values=True)
    return out


def _several(c: Columns, col: str) -> tuple[np.ndarray, np.ndarray]:
    """A '|'-joined column: one entry per value (a record with two e-mails sits in two blocks)."""
    whole = c.hashes(col)
    rows = np.flatnonzero(whole != NO_KEY)
    several = c.multi(col)[rows]
    if not several.any():
        return rows, whole[rows]
    one = rows[~several]
    part_rows, parts = [], []
    for r, text in zip(rows[several].tolist(), c.text[col][rows[several]].tolist()):
        for part in text.split("|"):
            if part:
                part_rows.append(r)
                parts.append(part)
    return (np.concatenate([one, np.asarray(part_rows, dtype=one.dtype)]),
            np.concatenate([whole[one], key_hash(np.asarray(parts, dtype=object))]))


def block_pairs(rows: np.ndarray, vals: np.ndarray, max_block_size: int) -> tuple[np.ndarray, np.ndarray, int]:
    """All pairs inside blocks of 2..max_block_size rows (``vals``: the key of each entry of
    ``rows``, a uint64 hash); returns (i, j, dropped_blocks)."""
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
    ``blocks`` (a dict), when given, receives name → (rows, uint64 key hashes) of every key (for
    incremental runs)."""
    frame = columns(frame)
    n = len(frame)
    stats: dict = {"records": n, "dropped_blocks": 0}
    codes = []
    for name, fn in (keys or BLOCKING_KEYS).items():
        rows, vals = fn(frame)
        if blocks is not None:  # the incremental cache: 64-bit hashes, not the key strings
            blocks[name] = (rows, vals)
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
