"""Clustering without chaining.

1. Connected components over strong edges (auto-merge probability, not vetoed) and must-links.
2. Every component of 3+ records is checked pair by pair (all internal pairs are scored, not only
   the blocked ones): if no pair is vetoed, cannot-linked or carries evidence against a match
   (weight < conflict_weight), the component stands.
3. Otherwise it is rebuilt greedily: must-links first, then strong edges by descending weight; two
   sub-clusters are joined only if no pair across them is in conflict (complete linkage on
   conflicts). A-B strong and B-C strong never pull A and C together against their own evidence.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

PairScorer = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (i, j) -> bool "in conflict"


def components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Component label (smallest member index) per record."""
    labels = np.arange(n, dtype=np.int64)
    if len(i) == 0:
        return labels
    while True:
        low = np.minimum(labels[i], labels[j])
        before = labels.copy()
        np.minimum.at(labels, i, low)
        np.minimum.at(labels, j, low)
        labels = labels[labels]
        while True:  # pointer jumping to the root
            nxt = labels[labels]
            if np.array_equal(nxt, labels):
                break
            labels = nxt
        if np.array_equal(before, labels):
            return labels


def internal_pairs(labels: np.ndarray, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs of records sharing a label, restricted to ``members``."""
    order = members[np.lexsort((members, labels[members]))]
    g = labels[order]
    ii, jj = [], []
    for d in range(1, len(order)):
        same = g[:-d] == g[d:]
        if not same.any():
            break
        ii.append(order[:-d][same])
        jj.append(order[d:][same])
    if not ii:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(ii), np.concatenate(jj)


def cluster(n: int, strong_i: np.ndarray, strong_j: np.ndarray, strong_w: np.ndarray,
            must_i: np.ndarray, must_j: np.ndarray, conflict: PairScorer,
            known_conflicts: tuple[np.ndarray, np.ndarray], max_exact: int = 400,
            comp_out: list | None = None) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Return (cluster label per record, strong edges refused because of conflicts).
    ``comp_out`` (a list), when given, receives the component labels before conflict splitting."""
    ei = np.concatenate([must_i, strong_i]).astype(np.int64)
    ej = np.concatenate([must_j, strong_j]).astype(np.int64)
    labels = components(n, ei, ej)
    if comp_out is not None:
        comp_out.append(labels.copy())
    sizes = np.bincount(labels, minlength=n)
    big = np.flatnonzero(sizes[labels] >= 3)
    exact = big[sizes[labels[big]] <= max_exact]
    pi, pj = internal_pairs(labels, exact)
    bad_pairs: dict[int, set[tuple[int, int]]] = {}
    if len(pi):
        bad = conflict(pi, pj)
        for a, b in zip(pi[bad].tolist(), pj[bad].tolist()):
            bad_pairs.setdefault(int(labels[a]), set()).add((min(a, b), max(a, b)))
    ki, kj = known_conflicts  # vetoed/cannot-linked candidate pairs (also covers huge components)
    inside = labels[ki] == labels[kj]
    for a, b in zip(ki[inside].tolist(), kj[inside].tolist()):
        bad_pairs.setdefault(int(labels[a]), set()).add((min(a, b), max(a, b)))
    refused: list[tuple[int, int]] = []
    if not bad_pairs:
        return labels, refused
    must = set(zip(np.minimum(must_i, must_j).tolist(), np.maximum(must_i, must_j).tolist()))
    by_label: dict[int, list[tuple[int, int, float, bool]]] = {lab: [] for lab in bad_pairs}
    for a, b in must:
        if labels[a] in by_label:
            by_label[labels[a]].append((a, b, np.inf, True))
    for a, b, w in zip(strong_i.tolist(), strong_j.tolist(), strong_w.tolist()):
        if labels[a] in by_label:
            by_label[labels[a]].append((a, b, w, False))
    for lab, edges in by_label.items():
        conflicts = bad_pairs[lab]
        parent: dict[int, int] = {}
        groups: dict[int, set[int]] = {}
        for a, b, _, _ in edges:
            for x in (a, b):
                if x not in parent:
                    parent[x], groups[x] = x, {x}

        def root(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for a, b, w, forced in sorted(edges, key=lambda e: (not e[3], -e[2], e[0], e[1])):
            ra, rb = root(a), root(b)
            if ra == rb:
                continue
            if not forced and any((min(x, y), max(x, y)) in conflicts for x in groups[ra] for y in groups[rb]):
                refused.append((a, b))
                continue
            keep, gone = (ra, rb) if ra < rb else (rb, ra)
            parent[gone] = keep
            groups[keep] |= groups.pop(gone)
        for r, members in groups.items():
            low = min(members)
            for x in members:
                labels[x] = low
    return labels, refused
