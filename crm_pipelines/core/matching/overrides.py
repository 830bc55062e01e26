"""Steward overrides as data: must-link / cannot-link pairs, honoured on every run."""

from __future__ import annotations

import numpy as np
import pandas as pd

OVERRIDE_COLUMNS = ["tenant_id", "source_a", "source_id_a", "source_b", "source_id_b", "kind", "reason", "created_by", "created_at"]
KINDS = ("must_link", "cannot_link")


def empty_overrides() -> pd.DataFrame:
    return pd.DataFrame(columns=OVERRIDE_COLUMNS)


def override_pairs(frame: pd.DataFrame, overrides: pd.DataFrame | None, tenant_id: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Positional (i, j) pairs per kind for this tenant; overrides naming unknown records are ignored.
    When one pair is both must- and cannot-linked, cannot-link wins (the safe side)."""
    out = {k: (np.zeros(0, np.int64), np.zeros(0, np.int64)) for k in KINDS}
    if overrides is None or len(overrides) == 0:
        return out
    ov = overrides[overrides["tenant_id"] == tenant_id]
    if ov.empty:
        return out
    pos = pd.Series(np.arange(len(frame)), index=pd.MultiIndex.from_arrays([frame["source"].astype(str), frame["source_id"].astype(str)]))
    a = pos.reindex(pd.MultiIndex.from_arrays([ov["source_a"].astype(str), ov["source_id_a"].astype(str)])).to_numpy()
    b = pos.reindex(pd.MultiIndex.from_arrays([ov["source_b"].astype(str), ov["source_id_b"].astype(str)])).to_numpy()
    known = ~(np.isnan(a) | np.isnan(b)) & (a != b)
    kinds = ov["kind"].to_numpy()
    cannot = set()
    for k in ("cannot_link", "must_link"):
        sel = known & (kinds == k)
        i, j = a[sel].astype(np.int64), b[sel].astype(np.int64)
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        if k == "cannot_link":
            cannot = set(zip(lo.tolist(), hi.tolist()))
        else:
            keep = np.array([(x, y) not in cannot for x, y in zip(lo.tolist(), hi.tolist())], bool)
            lo, hi = lo[keep] if len(lo) else lo, hi[keep] if len(hi) else hi
        out[k] = (lo, hi)
    return out
