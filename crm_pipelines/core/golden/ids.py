"""Stable golden ids: deterministic minting, carry-forward from the previous xref, merge → alias,
split → new id for the part that leaves.

Rules (applied per cluster of the current run):
* previous ids of the members are resolved through aliases;
* previous ids are handed out oldest first (created_at, then id); each goes to the cluster holding
  most of its former members, and each cluster takes at most one — so on a merge the older id
  survives, on a split the larger part keeps the id;
* a previous id that found no cluster of its own but whose members sit in one becomes an alias;
* a cluster without any previous id mints ``G`` + 16 hex of blake2b(tenant, earliest member key)
  (earliest = smallest "source|source_id"; salted on the rare collision with an id in use).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..arrays import filled, stable_rank
from .patched import PatchedFrame

XREF_COLUMNS = ["tenant_id", "source", "source_id", "golden_id", "link_method", "match_probability", "linked_at"]
ALIAS_COLUMNS = ["tenant_id", "alias_id", "golden_id", "merged_at"]


def record_keys(sources, source_ids) -> np.ndarray:
    """One "source|source_id" text key per record. Texts (the usual case) are joined as Python
    objects (1M records: 0.13 instead of 0.38 s through pandas' string columns); anything else (a
    missing value, a number) as pandas makes it text."""
    src = np.asarray(sources, dtype=object)
    sid = np.asarray(source_ids, dtype=object)
    try:
        keys = (src + "|") + sid  # TypeError at the first value that is not text
    except TypeError:
        keys = None
    if keys is not None and len(keys) and not pd.isna(keys).any():  # pd.NA would have passed
        return keys
    return (pd.Series(sources).astype(str) + "|" + pd.Series(source_ids).astype(str)).to_numpy(dtype=object)


def mint_id(tenant_id: str, member_key: str, salt: int = 0) -> str:
    text = f"{tenant_id}\x1f{member_key}" + (f"\x1f{salt}" if salt else "")
    return "G" + hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def mint_ids(tenant_id: str, member_keys: list) -> list[str]:
    """``[mint_id(tenant_id, key) for key in member_keys]``, the tenant's part encoded once (a full
    run of 1M records mints half a million ids)."""
    prefix, blake2b = f"{tenant_id}\x1f".encode("utf-8"), hashlib.blake2b
    return ["G" + blake2b(prefix + str(key).encode("utf-8"), digest_size=8).hexdigest() for key in member_keys]


class IdLookup:
    """golden id → value from two aligned arrays, looked up a batch at a time: no Python dict of
    every id is built (a large tenant has millions; a run asks for the ids it touches)."""

    def __init__(self, ids=(), values=(), fallback: "Callable[[], IdLookup] | None" = None):
        self.ids = np.asarray(ids, dtype=object)
        self.values = np.asarray(values, dtype=object)
        self._own_index: pd.Index | None = None
        self._fallback, self._fallback_lookup = fallback, None
        self._table: tuple[PatchedFrame, str, bool] | None = None

    @classmethod
    def of_column(cls, golden: PatchedFrame, column: str, text: bool = False,
                  fallback: "Callable[[], IdLookup] | None" = None) -> "IdLookup":
        """golden id → ``column`` of a golden table, looked up through the table's own id index (no
        copy of its ids and values; the index is the one the incremental run's patch uses too, built
        once instead of once more per lookup). ``text``: values as strings, as ``_text`` makes them."""
        out = cls(fallback=fallback)
        out._table = (golden, column, text)
        return out

    @property
    def _index(self) -> pd.Index:
        if self._own_index is None:
            self._own_index = pd.Index(self.ids)
        return self._own_index

    def __len__(self) -> int:
        return len(self._table[0]) if self._table is not None else len(self.ids)

    def lookup(self, ids, default=None) -> np.ndarray:
        """The value per id of ``ids`` (``default`` where unknown)."""
        ids = np.asarray(ids, dtype=object)
        out = filled(len(ids), default)
        if len(ids) == 0:
            return out
        if self._table is not None:
            golden, column, text = self._table
            values, hit = golden.lookup("golden_id", column, ids)
            if text and hit.any():
                values[hit] = _text(values[hit])
            out[hit] = values[hit]
        elif len(self.ids):
            pos = self._index.get_indexer(ids)
            hit = pos >= 0
            out[hit] = self.values[pos[hit]]
        else:
            hit = np.zeros(len(ids), bool)
        if self._fallback is not None and not hit.all():
            if self._fallback_lookup is None:
                self._fallback_lookup = self._fallback()
            miss = np.flatnonzero(~hit)
            out[miss] = self._fallback_lookup.lookup(ids[miss], default)
        return out


def _text(values: np.ndarray) -> np.ndarray:
    """``values`` as strings (``astype(str)``), converting only when some value is not one."""
    if all(v.__class__ is str for v in values.tolist()):
        return values
    return pd.Series(values, dtype=object).astype(str).to_numpy(dtype=object)


def _earliest_links(xref: pd.DataFrame, skip_ids) -> IdLookup:
    """created_at of ids the golden table does not hold: their earliest linked_at in the xref (sort +
    first: a string groupby.min runs in Python)."""
    x = xref[~xref["golden_id"].isin(skip_ids)] if len(skip_ids) else xref
    gl = pd.DataFrame({"g": x["golden_id"].to_numpy(dtype=object), "at": x["linked_at"].astype(str).to_numpy(dtype=object)})
    gl = gl.sort_values("at", kind="stable").drop_duplicates("g")
    return IdLookup(gl["g"].to_numpy(dtype=object), gl["at"].to_numpy(dtype=object))


@dataclass
class GoldenState:
    """What a run needs from the previous published tables (per tenant)."""

    xref: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=XREF_COLUMNS))
    aliases: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ALIAS_COLUMNS))
    created_at: IdLookup = field(default_factory=IdLookup)
    golden_hashes: IdLookup = field(default_factory=IdLookup)
    updated_at: IdLookup = field(default_factory=IdLookup)
    # optional fast-path cache of the previous run (``MatchCache`` from ``Resolution.cache``, with the
    # FS parameters, record hashes, blocking keys and scored pairs); None → full resolution
    cache: object | None = None

    @classmethod
    def from_tables(cls, xref: pd.DataFrame, aliases: pd.DataFrame | None = None,
                    golden_contacts: pd.DataFrame | None = None, cache: object | None = None) -> "GoldenState":
        """created_at per id: the golden table's, else the earliest linked_at in the xref (worked out
        only if some id is missing from the golden table); content hash and updated_at per id."""
        aliases = aliases if aliases is not None else pd.DataFrame(columns=ALIAS_COLUMNS)
        have_gc = golden_contacts is not None and len(golden_contacts) > 0
        gc = PatchedFrame.of(golden_contacts) if have_gc else None  # a DataFrame, or an incremental run's patched one
        fallback = (lambda: _earliest_links(xref, gc.column("golden_id") if have_gc else ())) if len(xref) else None
        created = IdLookup.of_column(gc, "created_at", True, fallback) if have_gc else IdLookup(fallback=fallback)
        hashes, updated = IdLookup(), IdLookup()
        if have_gc and "content_hash" in gc.columns:
            hashes = IdLookup.of_column(gc, "content_hash")
            updated = IdLookup.of_column(gc, "updated_at", True)
        # copy-on-write (pandas 3): selecting the columns shares the data, and nothing here modifies it
        return cls(xref[XREF_COLUMNS], aliases[ALIAS_COLUMNS], created, hashes, updated, cache)

    def alias_map(self) -> dict[str, str]:
        return dict(zip(self.aliases["alias_id"].to_numpy(dtype=object).tolist(), self.aliases["golden_id"].to_numpy(dtype=object).tolist()))

    def resolve(self, golden_id: str) -> str:
        """Follow alias chains to the surviving id (an unknown id resolves to itself)."""
        return follow_alias(golden_id, self.alias_map())


def follow_alias(golden_id: str, amap: dict[str, str]) -> str:
    """``golden_id`` followed through ``amap`` (alias → id) to the surviving id; a cycle stops at
    its first repeated id."""
    seen = set()
    while golden_id in amap and golden_id not in seen:
        seen.add(golden_id)
        golden_id = amap[golden_id]
    return golden_id


def resolve_series(ids: pd.Series, amap: dict[str, str]) -> pd.Series:
    """Each id followed through alias chains to its surviving id (None stays None)."""
    if not amap:
        return ids.copy()
    for _ in range(20):
        nxt = ids.map(amap).fillna(ids)
        if nxt.equals(ids):
            break
        ids = nxt
    return ids


def _candidates(prev: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """The distinct (previous id, cluster label) pairs of the records that had an id: ``prev``,
    ``label``, ``count`` (records of the pair) and ``simple`` (the id went to this cluster only, and
    the cluster got no other id). Sorted integer codes, not pandas groupbys (5 of an incremental
    run's 13 ms at 185k records)."""
    if not len(prev):
        return {"prev": prev, "label": np.zeros(0, np.int64), "count": np.zeros(0, np.int64),
                "simple": np.zeros(0, bool)}
    pcode, puniq = pd.factorize(prev)
    labels = np.asarray(labels, dtype=np.int64)
    radix = np.int64(labels.max()) + 1
    combo = np.sort(pcode.astype(np.int64) * radix + labels)
    start = np.flatnonzero(np.concatenate([[True], combo[1:] != combo[:-1]]))
    pairs = combo[start]
    count = np.diff(np.append(start, len(combo)))
    pc, lab = pairs // radix, pairs % radix
    per_prev = np.bincount(pc, minlength=len(puniq))[pc]
    _, lab_inv, lab_n = np.unique(lab, return_inverse=True, return_counts=True)
    simple = (per_prev == 1) & (lab_n[lab_inv.reshape(-1)] == 1)
    return {"prev": np.asarray(puniq, dtype=object)[pc], "label": lab, "count": count, "simple": simple}


def _used_ids(candidates: list[str], pools: list) -> set[str]:
    """The candidates that occur in one of ``pools``: arrays of ids (each scanned once against the
    candidates: no set of every id in use is built), or functions that answer, per candidate,
    whether it is in use (a lookup through an index that exists anyway)."""
    found: set[str] = set()
    if candidates:
        for pool in pools:
            if callable(pool):
                found.update(np.asarray(candidates, dtype=object)[pool(candidates)].tolist())
            elif len(pool):
                found.update(pool[pd.Series(pool).isin(candidates).to_numpy()].tolist())
    return found


def assign_ids(tenant_id: str, keys: pd.Series, labels: np.ndarray, state: GoldenState | None,
               now: str, reserved=None, prev_raw: pd.Series | None = None
               ) -> tuple[np.ndarray, pd.DataFrame, dict[str, str], pd.Series]:
    """Return (golden id per record, new alias rows, created_at per id, previous raw id per record).
    ``reserved``: ids in use beyond ``state`` (an incremental run passes a partial state), as an
    array, or as a function from a list of ids to a mask of those in use. ``prev_raw``: the previous
    raw id per record (None: none) when the caller knows it (an incremental run, from the records'
    previous positions); otherwise it is looked up by key in ``state.xref``."""
    n = len(keys)
    state = state or GoldenState()
    if prev_raw is not None:
        prev_raw = pd.Series(prev_raw, dtype=object).reset_index(drop=True)
    elif not len(state.xref):
        prev_raw = pd.Series([None] * n, dtype=object)
    else:
        xkeys = record_keys(state.xref["source"], state.xref["source_id"])
        prev_raw = keys.map(pd.Series(state.xref["golden_id"].to_numpy(), index=xkeys))
    prev = resolve_series(prev_raw.dropna(), state.alias_map())
    cand = _candidates(prev.to_numpy(dtype=object), np.asarray(labels)[prev.index.to_numpy()])
    assigned: dict[int, str] = {}
    taken: set[str] = set()
    # fast path: a previous id in one cluster which holds no other previous id
    simple = cand.pop("simple")
    assigned.update(zip(cand["label"][simple].tolist(), cand["prev"][simple].tolist()))
    taken.update(cand["prev"][simple].tolist())
    rest = pd.DataFrame({k: v[~simple] for k, v in cand.items()})
    rest["created"] = state.created_at.lookup(rest["prev"].to_numpy(dtype=object), "")
    # the oldest previous id first, each to its cluster with the most former members not yet given
    # one (an id without a creation time claims none)
    claims = rest[rest["created"].notna()].sort_values(["created", "prev", "count", "label"],
                                                       ascending=[True, True, False, True])
    group_of = None
    for created_at, prev_id, label in zip(claims["created"].tolist(), claims["prev"].tolist(), claims["label"].tolist()):
        if (created_at, prev_id) == group_of:
            continue  # this previous id went to a cluster already
        if label not in assigned:
            assigned[label] = prev_id
            taken.add(prev_id)
            group_of = (created_at, prev_id)
    # a previous id left without a cluster is an alias of the cluster with most of its former members
    by_prev = rest.sort_values(["prev", "count", "label"], ascending=[True, False, True]).drop_duplicates("prev")
    alias_rows = [(tenant_id, prev_id, int(label), now)
                  for prev_id, label in zip(by_prev["prev"].tolist(), by_prev["label"].tolist()) if prev_id not in taken]
    # mint for clusters without a previous id, from the earliest member key
    key_values = keys.to_numpy(dtype=object)
    key_rank = stable_rank(key_values)
    uniq_labels, label_code = np.unique(labels, return_inverse=True)
    earliest = np.full(len(uniq_labels), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(earliest, label_code.reshape(-1), key_rank)
    by_rank = np.empty(len(key_values), dtype=object)
    by_rank[key_rank] = key_values
    kept = [assigned[label] for label in sorted(assigned)]
    created = dict(zip(kept, state.created_at.lookup(kept, now).tolist()))
    label_list = uniq_labels.tolist()
    need = (np.fromiter((label not in assigned for label in label_list), dtype=bool, count=len(label_list))
            if assigned else np.ones(len(label_list), dtype=bool))
    mint_keys = by_rank[earliest[need]].tolist()
    pools = [state.xref["golden_id"].to_numpy(dtype=object), state.aliases["alias_id"].to_numpy(dtype=object)]
    if reserved is not None:
        pools.append(reserved if callable(reserved) else np.asarray(reserved, dtype=object))
    # a minted id is taken when a split leaves with the record that minted the cluster's old id: the
    # first few salted ids of each clashing cluster are checked against the ids in use in one scan
    checked = 4
    first = mint_ids(tenant_id, mint_keys)
    if len(mint_keys) <= 10_000:  # few to mint (an incremental run): every salt checked in one scan
        in_use = taken | _used_ids(first + [mint_id(tenant_id, key, s) for key in mint_keys for s in range(1, checked)], pools)
    else:  # a full run: salted ids are only worked out for the clashing few
        in_use = taken | _used_ids(first, pools)
        clash = [key for key, gid in zip(mint_keys, first) if gid in in_use]
        in_use |= _used_ids([mint_id(tenant_id, key, salt) for key in clash for salt in range(1, checked)], pools)
    if not any(map(in_use.__contains__, first)) and len(set(first)) == len(first):
        minted = first  # nothing to salt (nearly always): every cluster takes its first minted id
    else:
        minted = []
        for key, gid in zip(mint_keys, first):
            salt = 0
            while gid in in_use:
                salt += 1
                gid = mint_id(tenant_id, key, salt)
                if salt >= checked:
                    in_use |= _used_ids([gid], pools)
            in_use.add(gid)
            minted.append(gid)
    created.update(dict.fromkeys(minted, now))
    gid_of = np.empty(len(label_list), dtype=object)  # per distinct label, its id
    gid_of[need] = np.array(minted, dtype=object)
    if assigned:
        from_previous = np.flatnonzero(~need)
        gid_of[from_previous] = [assigned[label_list[k]] for k in from_previous.tolist()]
    golden = gid_of[label_code.reshape(-1)]
    target = dict(zip(label_list, gid_of.tolist())) if alias_rows else {}
    aliases = pd.DataFrame([(t, a, target[lab], at) for t, a, lab, at in alias_rows], columns=ALIAS_COLUMNS)
    return golden, aliases, created, prev_raw
