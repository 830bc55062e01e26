"""Set operations on integer code arrays (pair codes, labels) that stay fast at millions of values."""

from __future__ import annotations

import numpy as np
import pandas as pd


def filled(n: int, value) -> np.ndarray:
    """An object array of ``n`` references to ``value``. ``np.full(n, "text", dtype=object)`` holds
    ``n`` copies of a string (NumPy casts the value through a fixed-width array, element by element):
    a million link times or methods cost 55-75 MB each where one string would do."""
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def pick(names, codes: np.ndarray) -> np.ndarray:
    """``names[codes]`` as an object array: each name one string shared by its rows (``np.where(c,
    "a", "b").astype(object)`` makes a new string per row). No rows: an empty array of the names'
    own type, as ``np.where`` gives (pandas makes a text column of it, not an object one)."""
    codes = np.asarray(codes, dtype=np.intp)
    if not len(codes):
        return np.array(list(names))[:0]
    return np.array(list(names), dtype=object)[codes]


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """``np.unique(a)`` for a 1-d array, by sorting. NumPy 2.4 answers a plain ``np.unique`` through a
    hash table that is 100x slower than a sort on millions of distinct int64 codes (1.3M codes:
    1.0 s against 0.01 s)."""
    a = np.sort(np.asarray(a).ravel())
    if len(a) < 2:
        return a
    keep = np.empty(len(a), dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def isin_codes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.isin for int codes, free when ``b`` is empty (overrides usually are). A large ``b`` that is
    already sorted (pair codes of a previous run usually are) is searched, not sorted again."""
    if len(b) == 0 or len(a) == 0:
        return np.zeros(len(a), dtype=bool)
    if len(b) > 4 * len(a) and len(b) > 10_000 and bool((b[1:] >= b[:-1]).all()):
        pos = np.minimum(np.searchsorted(b, a), len(b) - 1)
        return b[pos] == a
    return np.isin(a, b)


def stable_rank(values) -> np.ndarray:
    """Position of each value in a stable sort of ``values`` (int64): orders like ``pd.factorize(...,
    sort=True)`` codes, with equal values ranked by position (which a stable lexsort does anyway).
    Python's sort runs in C over the strings and takes the runs of already ordered keys (records are
    usually in key order) as they are: 0.2 s for 1M keys against 1.3 s for a sorting factorize. A
    pandas column is taken as its object array (iterating a text column calls its ``__getitem__`` per
    value: 0.4 s for survivorship's 750k ranked rows at 1M records)."""
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.to_numpy(dtype=object)
    values = values.tolist() if isinstance(values, np.ndarray) else list(values)
    rank = np.empty(len(values), dtype=np.int64)
    order = np.fromiter(sorted(range(len(values)), key=values.__getitem__), dtype=np.int64, count=len(values))
    rank[order] = np.arange(len(values), dtype=np.int64)
    return rank


def merged_order(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.argsort(np.concatenate([a, b]), kind="stable")`` in linear time when ``a`` and ``b`` are
    each sorted (an incremental run's carried pair codes and its new ones): a sort of 1.3M codes
    cost 0.1 s of a 2 s run. Falls back to the sort otherwise."""
    a, b = np.asarray(a), np.asarray(b)
    if (len(a) > 1 and not bool((a[1:] >= a[:-1]).all())) or (len(b) > 1 and not bool((b[1:] >= b[:-1]).all())):
        return np.argsort(np.concatenate([a, b]), kind="stable")
    at = np.searchsorted(a, b, side="right") + np.arange(len(b))  # where each value of b ends up
    order = np.empty(len(a) + len(b), dtype=np.int64)
    from_b = np.zeros(len(order), dtype=bool)
    from_b[at] = True
    order[at] = len(a) + np.arange(len(b))
    order[~from_b] = np.arange(len(a))
    return order


def isin_hashes(values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``np.isin(values, keys)`` for uint64 hashes (well spread in their low bits) when ``keys`` are
    few: a bitmap over the low bits rules nearly every value out with one lookup, and only the few
    it lets through are checked exactly. An incremental run looks up a few thousand touched block
    keys among a million entries per blocking key: 3-4x faster than hashing every entry."""
    values = np.asarray(values, dtype=np.uint64)
    keys = np.asarray(keys, dtype=np.uint64)
    if len(keys) == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=bool)
    bits = max(16, min(24, int(len(keys) * 64).bit_length()))  # ~1/64 of the table set, at most 2 MB
    mask = np.uint64((1 << bits) - 1)
    table = np.zeros(1 << bits, dtype=bool)
    table[keys & mask] = True
    maybe = np.flatnonzero(table[values & mask])
    out = np.zeros(len(values), dtype=bool)
    out[maybe] = np.isin(values[maybe], keys)
    return out
