"""Fellegi-Sunter model: u from random pairs, m and the prior by EM on candidate pairs (no labels).

The EM runs on the distinct comparison-level patterns weighted by their counts, so it costs the
same for 10 k or 10 M candidate pairs. Match weight = Σ log2(m/u) over non-null comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .comparisons import COMPARISONS, LEVELS, compare


@dataclass
class FSParams:
    m: dict[str, list[float]]
    u: dict[str, list[float]]
    prior: float
    iterations: int = 0
    history: list[float] = field(default_factory=list)

    def weights(self) -> dict[str, np.ndarray]:
        return {c: np.log2(np.asarray(self.m[c]) / np.asarray(self.u[c])) for c in COMPARISONS}

    def to_dict(self) -> dict:
        return {"m": self.m, "u": self.u, "prior": self.prior, "iterations": self.iterations}


# How often each agreement level occurs between two random, different contacts of a German SME
# (the "u" side); the last level ("different") takes the rest. These only matter where a tenant is
# too small for its random pairs to say (U_PSEUDO pairs of evidence): a CSV of six rows must not
# conclude that a shared e-mail address happens by chance in one pair out of fifteen.
DEFAULT_U: dict[str, list[float]] = {
    "first_name": [0.01, 0.005, 0.05], "last_name": [0.003, 0.002, 0.005, 0.01],
    "company": [0.001, 0.001, 0.005], "email": [1e-5, 1e-4], "phone": [1e-5],
    "address": [1e-4, 1e-4, 0.01, 0.05], "birthday": [1e-4], "vat_id": [1e-6], "registry": [1e-6],
    "numbers": [1e-5]}
U_PSEUDO = 1000.0


def default_u(c: str) -> np.ndarray:
    agree = np.asarray(DEFAULT_U[c], dtype=float)
    return np.append(agree, 1.0 - agree.sum())


def estimate_u(frame: pd.DataFrame, n_pairs: int, seed: int, workers: int = 2) -> dict[str, list[float]]:
    """Level frequencies among random pairs (almost all non-matches), smoothed towards ``DEFAULT_U``
    with ``U_PSEUDO`` pseudo-pairs (negligible for real tenants, decisive for tiny inputs)."""
    n = len(frame)
    rng = np.random.default_rng(seed)
    size = min(n_pairs, max(1, n * (n - 1) // 2))
    i = rng.integers(0, max(n, 1), size)
    j = rng.integers(0, max(n, 1), size)
    keep = i != j
    levels, _ = compare(frame, i[keep], j[keep], workers) if n > 1 else (np.zeros((0, len(COMPARISONS)), np.int8), None)
    u = {}
    for k, c in enumerate(COMPARISONS):
        nl = len(LEVELS[c])
        col = levels[:, k]
        counts = np.bincount(col[col >= 0], minlength=nl).astype(float)
        u[c] = list((counts + U_PSEUDO * default_u(c)) / (counts.sum() + U_PSEUDO))
    return u


def _initial_m(c: str) -> list[float]:
    nl = len(LEVELS[c])
    raw = np.array([0.9] + [0.1 / (2 ** k) for k in range(1, nl)])
    raw[-1] = 0.02
    return list(raw / raw.sum())


def _radix(width: int) -> np.ndarray:
    return np.int64(11) ** np.arange(width - 1, -1, -1, dtype=np.int64)  # column 0 most significant


def _level_codes(levels: np.ndarray) -> np.ndarray:
    """One int64 per row of levels (-1..9 → base 11); sorting codes sorts the rows."""
    return (levels.astype(np.int64) + 1) @ _radix(levels.shape[1])


def pattern_ids(pats: np.ndarray) -> np.ndarray:
    """A stable id per level pattern (the same pattern has the same id in every run and tenant)."""
    return _level_codes(pats) if len(pats) else np.zeros(0, np.int64)


def _decode(codes: np.ndarray, width: int) -> np.ndarray:
    radix = _radix(width)
    return ((codes[:, None] // radix[None, :]) % 11 - 1).astype(np.int8)


def patterns(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct level rows → (patterns, inverse index per pair, counts)."""
    if len(levels) == 0:
        return np.zeros((0, levels.shape[1]), np.int8), np.zeros(0, np.int64), np.zeros(0, np.int64)
    ucode, inverse, counts = np.unique(_level_codes(levels), return_inverse=True, return_counts=True)
    return _decode(ucode, levels.shape[1]), inverse.reshape(-1), counts


def extend_patterns(pats: np.ndarray, new_levels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct patterns ``pats`` of earlier pairs plus those of ``new_levels`` →
    (patterns, position of each old pattern in them, inverse index per new row). An incremental run
    maps its carried pairs through the second array instead of re-finding the patterns of all pairs."""
    width = pats.shape[1] if pats.ndim == 2 and pats.shape[1] else new_levels.shape[1]
    old, new = _level_codes(pats.reshape(-1, width)), _level_codes(new_levels.reshape(-1, width))
    merged = np.union1d(old, new)
    return _decode(merged, width), np.searchsorted(merged, old), np.searchsorted(merged, new)


def pattern_weights(pats: np.ndarray, params: FSParams) -> np.ndarray:
    w = params.weights()
    total = np.zeros(len(pats))
    for k, c in enumerate(COMPARISONS):
        col = pats[:, k]
        ok = col >= 0
        total[ok] += w[c][col[ok]]
    return total


def probability(weight: np.ndarray, prior: float) -> np.ndarray:
    prior_w = np.log2(prior / (1 - prior))
    return 1.0 / (1.0 + np.power(2.0, -(weight + prior_w)))


def run_em(pats: np.ndarray, counts: np.ndarray, u: dict[str, list[float]], iterations: int = 40,
           prior: float = 0.3, tol: float = 1e-6, pseudo: float = 20.0, max_prior: float = 0.5) -> FSParams:
    """Estimate m and the prior with u fixed. ``pseudo`` pairs of Dirichlet prior towards the initial
    m keep tiny tenants (a few hundred contacts) from degenerate estimates; the prior is capped."""
    params = FSParams(m={c: _initial_m(c) for c in COMPARISONS}, u=u, prior=prior)
    if counts.sum() == 0:
        return params
    for it in range(iterations):
        p = probability(pattern_weights(pats, params), params.prior) * counts
        new_m = {}
        for k, c in enumerate(COMPARISONS):
            nl = len(LEVELS[c])
            col = pats[:, k]
            ok = col >= 0
            sums = np.bincount(col[ok], weights=p[ok], minlength=nl) + pseudo * np.asarray(_initial_m(c)) + 1e-3
            new_m[c] = list(sums / sums.sum())
        new_prior = float(np.clip((p.sum() + pseudo * 0.1) / (counts.sum() + pseudo), 1e-6, max_prior))
        delta = max(abs(new_prior - params.prior), *(float(np.max(np.abs(np.subtract(new_m[c], params.m[c])))) for c in COMPARISONS))
        params.m, params.prior, params.iterations = new_m, new_prior, it + 1
        params.history.append(delta)
        if delta < tol:
            break
    return params
