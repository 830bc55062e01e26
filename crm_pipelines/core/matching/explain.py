"""Human-readable explanation of a scored pair: per-field level and weight, total, probability."""

from __future__ import annotations

import json

import numpy as np

from .comparisons import COMPARISONS, LEVELS
from .model import FSParams


def pattern_explanations(pats: np.ndarray, params: FSParams) -> list[str]:
    """One JSON string per distinct level pattern: {field: {"level": name, "weight": w}} for every
    comparison with evidence on both sides (a field missing on either side adds 0 and is left out)."""
    w = params.weights()
    out = []
    for row in pats:
        fields = {}
        for k, c in enumerate(COMPARISONS):
            lv = int(row[k])
            if lv >= 0:
                fields[c] = {"level": LEVELS[c][lv], "weight": round(float(w[c][lv]), 3)}
        out.append(json.dumps(fields))
    return out
