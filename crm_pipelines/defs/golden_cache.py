"""The matcher's incremental cache between pipeline runs, kept beside the data, per tenant.

The cache (``Resolution.cache``) lets the next run re-resolve only what changed. It is only valid
for the golden tables it was computed with, so it is stored with a fingerprint of that xref:
``golden_resolution`` stages it next to the staged tables, ``golden_contacts`` promotes it when the
publish commits, and a cache whose fingerprint differs from the published xref is ignored (a
correct full run follows). A missing or unreadable cache only costs speed, never correctness.

The large tables of the cache (the golden rows and the reported pairs) are ``PatchedFrame``s: an
incremental run keeps their base and adds its change. Their bases are stored apart, one file each,
written once: a 1%-changed run then writes its change and the small arrays, not the whole tables
again (most of the cache's 13 s dump at 1M records). Base files that the promoted cache no longer
uses are removed when it is promoted.
"""

from __future__ import annotations

import copy
import json
import os
import pickle
from pathlib import Path

import pandas as pd

from crm_pipelines import settings
from crm_pipelines.core.golden.patched import PatchedFrame


def fingerprint(xref: pd.DataFrame) -> str:
    if xref is None or xref.empty:
        return "empty"
    keys = xref[["source", "source_id", "golden_id"]].astype(str)  # a sum of row hashes: any row order
    # categorize=False: the keys are nearly all distinct, so hashing them directly is 3x faster than
    # hashing their categories (a cache fingerprinted the other way is ignored once: one full run)
    hashed = pd.util.hash_pandas_object(keys, index=False, categorize=False)
    return f"{len(keys)}:{int(hashed.sum()) & 0xFFFFFFFFFFFFFFFF:x}"


# what reading a damaged, truncated or outdated pickle raises: the file is then treated as absent
UNREADABLE = (OSError, pickle.PickleError, EOFError, ValueError, AttributeError, ImportError, TypeError)


def folder() -> Path:
    """Where the per-tenant caches live (beside the data)."""
    return settings.data_dir() / "golden_cache"


def _path(tenant_id: str, staged: bool) -> Path:
    return folder() / f"{tenant_id}{'.staged' if staged else ''}.pkl"


def _base_path(tenant_id: str, base_id: str) -> Path:
    return folder() / f"{tenant_id}.base-{base_id}.pkl"


def _bases_path(tenant_id: str, staged: bool) -> Path:
    """The base ids a cache file uses (read without unpickling the cache)."""
    return _path(tenant_id, staged).with_suffix(".bases.json")


def dump_atomic(path: Path, write) -> None:
    """``write(handle)`` into a temporary file that then replaces ``path``: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as handle:
        write(handle)
    os.replace(tmp, path)


def _patched(cache: object) -> dict[str, PatchedFrame]:
    return {k: v for k, v in vars(cache).items() if isinstance(v, PatchedFrame)} if hasattr(cache, "__dict__") else {}


def _without_bases(cache: object) -> object:
    """A shallow copy of the cache whose PatchedFrames do not carry their base (stored apart)."""
    patched = _patched(cache)
    if not patched:
        return cache
    out = copy.copy(cache)
    for name, frame in patched.items():
        setattr(out, name, frame.detached())
    return out


def _with_bases(tenant_id: str, cache: object) -> object:
    for frame in _patched(cache).values():
        if frame.base is None:
            with _base_path(tenant_id, frame.base_id).open("rb") as handle:  # a missing base: OSError, no cache
                frame.attach(pickle.load(handle))
    return cache


def load(tenant_id: str, published_xref: pd.DataFrame) -> object | None:
    try:
        with _path(tenant_id, staged=False).open("rb") as handle:
            stored_fingerprint, cache = pickle.load(handle)
        cache = _with_bases(tenant_id, cache)
    except UNREADABLE:
        return None
    return cache if stored_fingerprint == fingerprint(published_xref) else None


def stage(tenant_id: str, xref: pd.DataFrame, cache: object | None) -> None:
    path = _path(tenant_id, staged=True)
    if cache is None:
        path.unlink(missing_ok=True)
        _bases_path(tenant_id, staged=True).unlink(missing_ok=True)
        return
    bases = set()
    for frame in _patched(cache).values():
        bases.add(frame.base_id)
        base_path = _base_path(tenant_id, frame.base_id)
        if not base_path.exists():  # written once; an incremental run's cache shares its base
            dump_atomic(base_path, lambda handle, base=frame.base: pickle.dump(base, handle, pickle.HIGHEST_PROTOCOL))
    dump_atomic(_bases_path(tenant_id, staged=True), lambda handle: handle.write(json.dumps(sorted(bases)).encode()))
    stored = (fingerprint(xref), _without_bases(cache))
    dump_atomic(path, lambda handle: pickle.dump(stored, handle, protocol=pickle.HIGHEST_PROTOCOL))


def promote(tenant_id: str) -> None:
    """After the publish committed: the staged cache becomes the one the next run reads, and base
    files that it does not use are removed."""
    staged = _path(tenant_id, staged=True)
    if staged.exists():
        os.replace(staged, _path(tenant_id, staged=False))
        bases = _bases_path(tenant_id, staged=True)
        if bases.exists():
            os.replace(bases, _bases_path(tenant_id, staged=False))
    else:
        _path(tenant_id, staged=False).unlink(missing_ok=True)
        _bases_path(tenant_id, staged=False).unlink(missing_ok=True)
    _remove_unused_bases(tenant_id)


def _remove_unused_bases(tenant_id: str) -> None:
    used: set[str] = set()
    for staged in (False, True):  # a staged cache may use a base too (its publish is still to come)
        try:
            used.update(json.loads(_bases_path(tenant_id, staged).read_text()))
        except (OSError, ValueError):
            pass
    for base in folder().glob(f"{tenant_id}.base-*.pkl"):
        if base.name[len(tenant_id) + len(".base-"):-len(".pkl")] not in used:
            base.unlink(missing_ok=True)
