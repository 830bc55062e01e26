"""Score candidate pairs of one tenant: levels → Fellegi-Sunter weights and probabilities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import MatchConfig
from .comparisons import compare
from .model import FSParams, estimate_u, pattern_weights, patterns, probability, run_em

FIRST_NAME_VETO = 3


@dataclass
class ScoredPairs:
    i: np.ndarray
    j: np.ndarray
    levels: np.ndarray
    veto: np.ndarray
    weight: np.ndarray
    prob: np.ndarray
    pats: np.ndarray
    inverse: np.ndarray


def level_weights(levels: np.ndarray, params: FSParams) -> np.ndarray:
    """Match weight per row of comparison levels (the same sum as for distinct patterns)."""
    return pattern_weights(levels, params)


def compare_pairs(frame: pd.DataFrame, i: np.ndarray, j: np.ndarray, config: MatchConfig) -> tuple[np.ndarray, np.ndarray]:
    levels, veto = compare(frame, i, j, config.workers)
    if not config.veto_first_name_conflict:
        veto[veto == FIRST_NAME_VETO] = -1
    return levels, veto


def fit(frame: pd.DataFrame, levels: np.ndarray, config: MatchConfig) -> FSParams:
    u = estimate_u(frame, config.u_sample_pairs, config.seed, config.workers)
    pats, _, counts = patterns(levels)
    return run_em(pats, counts, u, config.em_iterations)


def score(frame: pd.DataFrame, i: np.ndarray, j: np.ndarray, config: MatchConfig,
          params: FSParams | None = None) -> tuple[ScoredPairs, FSParams]:
    levels, veto = compare_pairs(frame, i, j, config)
    params = params or fit(frame, levels, config)
    pats, inverse, _ = patterns(levels)
    weight = pattern_weights(pats, params)[inverse] if len(pats) else np.zeros(0)
    return ScoredPairs(i, j, levels, veto, weight, probability(weight, params.prior), pats, inverse), params
