"""Match-quality metrics against ground truth: pairwise precision/recall/F1, B-cubed, exact clusters."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _pairs(sizes: np.ndarray) -> int:
    sizes = sizes.astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def evaluate(predicted, truth) -> dict[str, float]:
    """``predicted`` and ``truth`` are cluster labels per record (same order)."""
    df = pd.DataFrame({"p": pd.factorize(np.asarray(predicted))[0], "t": pd.factorize(np.asarray(truth))[0]})
    cell = df.groupby(["p", "t"]).size()
    psize = df.groupby("p").size()
    tsize = df.groupby("t").size()
    tp, pred, true = _pairs(cell.to_numpy()), _pairs(psize.to_numpy()), _pairs(tsize.to_numpy())
    precision = tp / pred if pred else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    cell_df = cell.rename("n").reset_index()
    cell_df["ps"] = cell_df["p"].map(psize)
    cell_df["ts"] = cell_df["t"].map(tsize)
    n = len(df)
    b_p = float((cell_df["n"] ** 2 / cell_df["ps"]).sum() / n) if n else 1.0
    b_r = float((cell_df["n"] ** 2 / cell_df["ts"]).sum() / n) if n else 1.0
    exact = cell_df[(cell_df["n"] == cell_df["ps"]) & (cell_df["n"] == cell_df["ts"])]
    return {
        "precision": precision, "recall": recall, "f1": f1, "true_pairs": true, "predicted_pairs": pred,
        "bcubed_precision": b_p, "bcubed_recall": b_r,
        "bcubed_f1": 2 * b_p * b_r / (b_p + b_r) if b_p + b_r else 0.0,
        "cluster_exact_match_rate": len(exact) / len(tsize) if len(tsize) else 1.0,
    }
