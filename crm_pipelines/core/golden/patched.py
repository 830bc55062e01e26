"""A large table kept as the rows of an earlier run plus what later runs changed.

An incremental run replaces a few thousand rows of a golden table of half a million rows, or of a
pairs table of a million. Copying the whole table to drop and append those rows cost 0.4 s per
table at 1M records, most of an incremental run. ``PatchedFrame`` keeps the earlier rows (``base``,
shared, never modified), a mask of those still current and the rows added since; ``patch`` costs
the size of the change plus one pass over a boolean mask. ``frame()`` builds the plain DataFrame
when someone asks for it (the same rows in the same order as the copying did), and a patch that
has grown past a quarter of its base is folded into a new base, so the overhead stays bounded.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

COMPACT_SHARE = 0.25  # fold the changes into a new base once they reach this share of it


class PatchedFrame:
    """Rows = ``base[keep]`` followed by ``added``; all three are read-only once built."""

    def __init__(self, base: pd.DataFrame, keep: np.ndarray | None = None, added: pd.DataFrame | None = None,
                 indexes: dict | None = None, base_id: str | None = None):
        self.base = base
        self.base_id = base_id or os.urandom(8).hex()  # names the base for whoever stores it apart (the cache)
        self.keep = keep  # None: every base row is current
        self.added = added if added is not None else base.iloc[:0]
        self._frame: pd.DataFrame | None = None if keep is not None or len(self.added) else base
        self._indexes = indexes if indexes is not None else {}  # column → pd.Index of the base (shared by patches)

    @classmethod
    def of(cls, frame: "pd.DataFrame | PatchedFrame") -> "PatchedFrame":
        return frame if isinstance(frame, PatchedFrame) else cls(frame)

    @property
    def columns(self) -> pd.Index:
        return self.base.columns

    def _kept(self) -> np.ndarray | None:
        return None if self.keep is None else np.flatnonzero(self.keep)

    def __len__(self) -> int:
        kept = len(self.base) if self.keep is None else int(np.count_nonzero(self.keep))
        return kept + len(self.added)

    def column(self, name: str, dtype=object) -> np.ndarray:
        """The current values of one column, in row order."""
        base = self.base[name].to_numpy(dtype=dtype)
        kept = self._kept()
        if kept is not None:
            base = base[kept]
        if not len(self.added):
            return base
        return np.concatenate([base, self.added[name].to_numpy(dtype=dtype)])

    def _index(self, name: str) -> pd.Index:
        index = self._indexes.get(name)
        if index is None:
            index = self._indexes[name] = pd.Index(self.base[name].to_numpy(dtype=object))
        return index

    def _in_base(self, name: str, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in the base, whether that base row is current) per value of ``values``, through
        the base's index of a column of distinct values."""
        pos = self._index(name).get_indexer(values)
        found = pos >= 0
        if self.keep is not None:
            found[found] = self.keep[pos[found]]
        return pos, found

    def has(self, name: str, values) -> np.ndarray:
        """Mask over ``values``: the value occurs in column ``name`` of a current row."""
        values = np.asarray(list(values), dtype=object)
        if not self._index(name).is_unique:
            return pd.Series(values).isin(self.column(name)).to_numpy()
        _, found = self._in_base(name, values)
        if len(self.added):
            found |= pd.Series(values).isin(self.added[name].to_numpy(dtype=object)).to_numpy()
        return found

    def _positions(self, name: str, values: np.ndarray, caller: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per value of ``values``: (its row in the base, whether that base row is current, its row in
        the added rows or -1). ``name`` holds distinct values (an id): looked up through the base's
        index (the one ``has`` and ``isin`` use) and one of the added rows, each built once."""
        if not self._index(name).is_unique:
            raise ValueError(f"{caller} by {name!r}: its values are not distinct")
        pos, found = self._in_base(name, values)
        apos = np.full(len(values), -1, dtype=np.int64)
        if len(self.added):
            added = self.__dict__.setdefault("_added_indexes", {})
            if name not in added:
                added[name] = pd.Index(self.added[name].to_numpy(dtype=object))
            apos = added[name].get_indexer(values)
        return pos, found, apos

    def lookup(self, name: str, column: str, values) -> tuple[np.ndarray, np.ndarray]:
        """Per value of ``values``: the ``column`` of the current row whose ``name`` equals it (None
        where there is none), and whether there is one. ``name`` holds distinct values (an id)."""
        values = np.asarray(list(values), dtype=object)
        out, found = np.full(len(values), None, dtype=object), np.zeros(len(values), bool)
        if not len(values):
            return out, found
        pos, found, apos = self._positions(name, values, "lookup")
        out[found] = self.base[column].to_numpy(dtype=object)[pos[found]]
        hit = apos >= 0
        if hit.any():
            out[hit] = self.added[column].to_numpy(dtype=object)[apos[hit]]
            found |= hit
        return out, found

    def rows_of(self, name: str, values) -> tuple[pd.DataFrame, np.ndarray]:
        """(the current rows whose ``name`` is one of ``values``, and for each of those rows the
        position in ``values`` of its value). ``name`` holds distinct values (an id); only the rows
        found are copied."""
        values = np.asarray(list(values), dtype=object)
        pos, found, apos = self._positions(name, values, "rows_of")
        at, hit = np.flatnonzero(found), np.flatnonzero(apos >= 0)
        if not len(hit):
            return self.base.iloc[pos[at]].reset_index(drop=True), at
        return (pd.concat([self.base.iloc[pos[at]], self.added.iloc[apos[hit]]], ignore_index=True),
                np.concatenate([at, hit]))

    def isin(self, name: str, values) -> np.ndarray:
        """Mask over the current rows: the value of column ``name`` is one of ``values``. A column
        whose base values are distinct (an id) is looked up through an index of the base, built once
        for the base and its patches, instead of hashing every row on every run."""
        values = np.asarray(list(values), dtype=object)
        index = self._index(name)
        if not index.is_unique:
            return pd.Series(self.column(name)).isin(values).to_numpy()
        hit = np.zeros(len(self.base), bool)
        pos = index.get_indexer(values)
        hit[pos[pos >= 0]] = True
        if self.keep is not None:
            hit = hit[self.keep]
        if not len(self.added):
            return hit
        return np.concatenate([hit, self.added[name].isin(values).to_numpy()])

    def take(self, rows: np.ndarray) -> pd.DataFrame:
        """The current rows at positions ``rows`` (sorted), as a new DataFrame."""
        rows = np.asarray(rows, dtype=np.int64)
        kept = self._kept()
        n_base = len(self.base) if kept is None else len(kept)
        from_base = rows[rows < n_base]
        parts = [self.base.iloc[from_base if kept is None else kept[from_base]],
                 self.added.iloc[rows[rows >= n_base] - n_base]]
        return pd.concat(parts, ignore_index=True)

    def patch(self, drop: np.ndarray, new_rows: pd.DataFrame) -> "PatchedFrame":
        """The current rows without those where ``drop`` (a mask over the current rows) is set,
        followed by ``new_rows``."""
        drop = np.asarray(drop, dtype=bool)
        kept = self._kept()
        n_base = len(self.base) if kept is None else len(kept)
        keep = np.ones(len(self.base), bool) if self.keep is None else self.keep.copy()
        gone = np.flatnonzero(drop[:n_base])
        keep[gone if kept is None else kept[gone]] = False
        still = ~drop[n_base:]
        parts = [a for a in (self.added if still.all() else self.added[still], new_rows[list(self.columns)]) if len(a)]
        added = pd.concat(parts, ignore_index=True) if len(parts) > 1 else (parts[0] if parts else self.base.iloc[:0])
        out = PatchedFrame(self.base, None if keep.all() else keep, added.reset_index(drop=True), self._indexes,
                           self.base_id)
        dropped = len(self.base) - int(np.count_nonzero(keep))
        if max(len(out.added), dropped) > COMPACT_SHARE * max(len(self.base), 1):
            return PatchedFrame(out.frame())
        return out

    def frame(self) -> pd.DataFrame:
        """The current rows as one DataFrame (built once)."""
        if self._frame is None:
            kept = self.base if self.keep is None else self.base[self.keep]
            self._frame = (pd.concat([kept, self.added], ignore_index=True) if len(self.added)
                           else kept.reset_index(drop=True))
        return self._frame

    def detached(self) -> "PatchedFrame":
        """A copy without its base (``base_id`` names it): what a store pickles when it keeps the
        base apart. ``attach`` gives the base back."""
        out = PatchedFrame.__new__(PatchedFrame)
        out.__dict__.update(self.__dict__, base=None, _frame=None, _indexes={}, _added_indexes={})
        return out

    def attach(self, base: pd.DataFrame) -> "PatchedFrame":
        self.base = base
        self._frame = base if self.keep is None and not len(self.added) else None
        return self

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_frame"] = None if self.keep is not None or len(self.added) else True  # built again on demand
        state["_indexes"], state["_added_indexes"] = {}, {}
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if self._frame is True:
            self._frame = self.base


def materialized(value):
    """A DataFrame for a ``PatchedFrame``; anything else as it is."""
    return value.frame() if isinstance(value, PatchedFrame) else value
