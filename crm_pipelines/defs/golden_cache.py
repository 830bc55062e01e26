"""The matcher's incremental cache between pipeline runs, kept beside the data, per tenant.

The cache (``Resolution.cache``) lets the next run re-resolve only what changed. It is only valid
for the golden tables it was computed with, so it is stored with a fingerprint of that xref:
``golden_resolution`` stages it next to the staged tables, ``golden_contacts`` promotes it when the
publish commits, and a cache whose fingerprint differs from the published xref is ignored (a
correct full run follows). A missing or unreadable cache only costs speed, never correctness.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pandas as pd

from crm_pipelines import settings


def fingerprint(xref: pd.DataFrame) -> str:
    if xref is None or xref.empty:
        return "empty"
    keys = xref[["source", "source_id", "golden_id"]].astype(str)  # a sum of row hashes: any row order
    # categorize=False: the keys are nearly all distinct, so hashing them directly is 3x faster than
    # hashing their categories (a cache fingerprinted the other way is ignored once: one full run)
    hashed = pd.util.hash_pandas_object(keys, index=False, categorize=False)
    return f"{len(keys)}:{int(hashed.sum()) & 0xFFFFFFFFFFFFFFFF:x}"


def _path(tenant_id: str, staged: bool) -> Path:
    return settings.data_dir() / "golden_cache" / f"{tenant_id}{'.staged' if staged else ''}.pkl"


def load(tenant_id: str, published_xref: pd.DataFrame) -> object | None:
    try:
        with _path(tenant_id, staged=False).open("rb") as handle:
            stored_fingerprint, cache = pickle.load(handle)
    except (OSError, pickle.PickleError, EOFError, ValueError, AttributeError, ImportError):
        return None
    return cache if stored_fingerprint == fingerprint(published_xref) else None


def stage(tenant_id: str, xref: pd.DataFrame, cache: object | None) -> None:
    path = _path(tenant_id, staged=True)
    if cache is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as handle:
        pickle.dump((fingerprint(xref), cache), handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def promote(tenant_id: str) -> None:
    """After the publish committed: the staged cache becomes the one the next run reads."""
    staged = _path(tenant_id, staged=True)
    if staged.exists():
        os.replace(staged, _path(tenant_id, staged=False))
    else:
        _path(tenant_id, staged=False).unlink(missing_ok=True)
