"""Pairwise field comparisons → discrete levels (vectorized with rapidfuzz.process.cpdist).

Level -1 means "null on either side" (no evidence). Each comparison lists its level names in
``LEVELS``; ``compare`` returns an (n_pairs × n_comparisons) int8 matrix plus veto reasons.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.fuzz import token_set_ratio

LEVELS: dict[str, list[str]] = {
    "first_name": ["exact", "jw_0.92", "jw_0.80_or_initial", "different"],
    "last_name": ["exact", "jw_0.92", "phonetic", "jw_0.80", "different"],
    "company": ["exact", "tokens_90", "tokens_75", "different"],
    "email": ["shared", "fuzzy_0.92", "different"],
    "phone": ["shared", "different"],
    "address": ["street_number_postal", "street_fuzzy_postal", "postal", "city", "different"],
    "birthday": ["exact", "different"],
    "vat_id": ["exact", "different"],
    "registry": ["exact", "different"],
    "numbers": ["exact", "different"],
}
COMPARISONS = list(LEVELS)
VETO_REASONS = ["kind", "vat_id", "birthday", "first_name", "cannot_link"]


TEXT_COLUMNS = ["first_key", "last_key", "last_phon", "company_key", "email_keys", "phone_keys", "street_key",
                "house_number", "postal_code", "city_key", "birthday", "vat_id", "trade_register", "tax_number",
                "customer_number", "supplier_number", "kind", "first_phon", "company_phon", "tenant_id"]


class Columns:
    """The comparison columns of one frame as numpy object arrays ('' for null), converted once
    (pandas string columns are slow to index pair by pair)."""

    def __init__(self, frame: pd.DataFrame):
        self.n = len(frame)
        self.text = {c: _text(frame[c]) for c in TEXT_COLUMNS}
        self.vat_valid = frame["vat_valid"].to_numpy(bool)
        self._lengths: dict[str, np.ndarray] = {}
        self._multi: dict[str, np.ndarray] = {}

    @classmethod
    def of_rows(cls, frame: pd.DataFrame, rows: np.ndarray) -> "Columns":
        """``Columns(frame.iloc[rows])`` without copying the frame's other columns (an incremental
        run compares a few thousand records of a million)."""
        out = cls.__new__(cls)
        out.n = len(rows)
        out.text = {c: _text(frame[c], rows) for c in TEXT_COLUMNS}
        out.vat_valid = frame["vat_valid"].to_numpy(bool)[rows]
        out._lengths, out._multi = {}, {}
        return out

    def lengths(self, col: str) -> np.ndarray:
        """Length of each record's value (0 for null), worked out once per column: a pair looks
        its two records up instead of measuring the same strings again for every pair."""
        if col not in self._lengths:
            self._lengths[col] = np.fromiter((len(v if v.__class__ is str else str(v)) for v in self.text[col]),
                                             dtype=np.int32, count=self.n)
        return self._lengths[col]

    def multi(self, col: str) -> np.ndarray:
        """Whether each record's value of a '|'-joined key column holds several keys."""
        if col not in self._multi:
            self._multi[col] = np.fromiter(("|" in str(v) for v in self.text[col]), dtype=bool, count=self.n)
        return self._multi[col]

    def __len__(self) -> int:
        return self.n


def _text(col: pd.Series, rows: np.ndarray | None = None) -> np.ndarray:
    arr = col.to_numpy(dtype=object, copy=rows is None)
    if rows is not None:
        arr = arr[rows]  # a new array
    arr[pd.isna(arr)] = ""
    return arr


def columns(frame: "pd.DataFrame | Columns") -> Columns:
    return frame if isinstance(frame, Columns) else Columns(frame)


def _s(frame: Columns, col: str, idx: np.ndarray) -> np.ndarray:
    return frame.text[col][idx]


def _jw(a: np.ndarray, b: np.ndarray, workers: int) -> np.ndarray:
    if len(a) == 0:
        return np.zeros(0, np.float32)
    return process.cpdist(list(a), list(b), scorer=JaroWinkler.normalized_similarity, workers=workers, dtype=np.float32)


def _shared(a: np.ndarray, b: np.ndarray, several: np.ndarray) -> np.ndarray:
    """Multi-valued '|' keys: True where the two sets intersect (``several``: either side holds
    several keys; only those pairs are split)."""
    out = (a == b) & (a != "")
    multi = np.flatnonzero(~out & (a != "") & (b != "") & several) if len(a) else []
    for k in multi:
        out[k] = bool(set(a[k].split("|")) & set(b[k].split("|")))
    return out


def _levels(null: np.ndarray, conditions: list[np.ndarray]) -> np.ndarray:
    out = np.full(len(null), len(conditions), dtype=np.int8)
    for level in range(len(conditions) - 1, -1, -1):
        out[conditions[level]] = level
    out[null] = -1
    return out


def compare(frame: pd.DataFrame, i: np.ndarray, j: np.ndarray, workers: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Return (levels int8 [n, len(COMPARISONS)], veto codes int8 [n]: -1 none, else VETO_REASONS index)."""
    frame = columns(frame)
    n = len(i)
    L = np.empty((n, len(COMPARISONS)), dtype=np.int8)
    fa, fb = _s(frame, "first_key", i), _s(frame, "first_key", j)
    la, lb = _s(frame, "last_key", i), _s(frame, "last_key", j)
    both = (fa != "") & (la != "") & (fb != "") & (lb != "") & (fa != la)
    first_last, last_first = _jw(fa, lb, workers), _jw(la, fb, workers)
    cross, cross_best = np.minimum(first_last, last_first), np.maximum(first_last, last_first)
    direct = np.minimum(_jw(fa, fb, workers), _jw(la, lb, workers))
    # first/last swapped, typos tolerated (one side exact allows a stronger typo on the other)
    swapped = both & (cross > direct) & ((cross >= 0.88) | ((cross_best >= 0.999) & (cross >= 0.75)))
    fb, lb = np.where(swapped, lb, fb), np.where(swapped, fb, lb)
    fnull = (fa == "") | (fb == "")
    fjw = _jw(fa, fb, workers)
    # an initial: one side is a single letter, the same as the other side's first letter
    len_a = frame.lengths("first_key")[i]
    len_b = np.where(swapped, frame.lengths("last_key")[j], frame.lengths("first_key")[j])
    maybe = np.flatnonzero(~fnull & ((len_a == 1) | (len_b == 1)))
    initial = np.zeros(n, bool)
    initial[maybe] = [x[:1] == y[:1] for x, y in zip(fa[maybe].tolist(), fb[maybe].tolist())]
    L[:, 0] = _levels(fnull, [fa == fb, fjw >= 0.92, (fjw >= 0.80) | initial])
    lnull = (la == "") | (lb == "")
    ljw = _jw(la, lb, workers)
    lpa, lpb = _s(frame, "last_phon", i), _s(frame, "last_phon", j)
    L[:, 1] = _levels(lnull, [la == lb, ljw >= 0.92, (lpa == lpb) & (lpa != ""), ljw >= 0.80])
    ca, cb = _s(frame, "company_key", i), _s(frame, "company_key", j)
    cnull = (ca == "") | (cb == "")
    cts = process.cpdist(list(ca), list(cb), scorer=token_set_ratio, workers=workers, dtype=np.float32) if n else np.zeros(0)
    L[:, 2] = _levels(cnull, [ca == cb, cts >= 90, cts >= 75])
    ea, eb = _s(frame, "email_keys", i), _s(frame, "email_keys", j)
    enull = (ea == "") | (eb == "")
    several = frame.multi("email_keys")
    L[:, 3] = _levels(enull, [_shared(ea, eb, several[i] | several[j]), _jw(ea, eb, workers) >= 0.92])
    pa, pb = _s(frame, "phone_keys", i), _s(frame, "phone_keys", j)
    several = frame.multi("phone_keys")
    L[:, 4] = _levels((pa == "") | (pb == ""), [_shared(pa, pb, several[i] | several[j])])
    sa, sb = _s(frame, "street_key", i), _s(frame, "street_key", j)
    ha, hb = _s(frame, "house_number", i), _s(frame, "house_number", j)
    za, zb = _s(frame, "postal_code", i), _s(frame, "postal_code", j)
    ta, tb = _s(frame, "city_key", i), _s(frame, "city_key", j)
    same_zip = (za == zb) & (za != "")
    same_street = (sa == sb) & (sa != "")
    sjw = _jw(sa, sb, workers)
    anull = ((za == "") | (zb == "")) & ((ta == "") | (tb == ""))
    L[:, 5] = _levels(anull, [same_zip & same_street & (ha == hb), same_zip & (sjw >= 0.9) & (sa != ""), same_zip,
                              ((za == "") | (zb == "")) & (ta == tb)])
    ba, bb = _s(frame, "birthday", i), _s(frame, "birthday", j)
    bnull = (ba == "") | (bb == "")
    L[:, 6] = _levels(bnull, [ba == bb])
    va, vb = _s(frame, "vat_id", i), _s(frame, "vat_id", j)
    L[:, 7] = _levels((va == "") | (vb == ""), [va == vb])
    ra, rb = _s(frame, "trade_register", i), _s(frame, "trade_register", j)
    xa, xb = _s(frame, "tax_number", i), _s(frame, "tax_number", j)
    rnull = ((ra == "") | (rb == "")) & ((xa == "") | (xb == ""))
    L[:, 8] = _levels(rnull, [((ra == rb) & (ra != "")) | ((xa == xb) & (xa != ""))])
    na, nb = _s(frame, "customer_number", i), _s(frame, "customer_number", j)
    ma, mb = _s(frame, "supplier_number", i), _s(frame, "supplier_number", j)
    nnull = ((na == "") | (nb == "")) & ((ma == "") | (mb == ""))
    L[:, 9] = _levels(nnull, [((na == nb) & (na != "")) | ((ma == mb) & (ma != ""))])

    veto = np.full(n, -1, dtype=np.int8)
    kind = frame.text["kind"]
    vvalid = frame.vat_valid
    veto[(L[:, 0] == 3) & ~swapped] = 3
    veto[(L[:, 6] == 1)] = 2
    veto[(L[:, 7] == 1) & vvalid[i] & vvalid[j]] = 1
    veto[kind[i] != kind[j]] = 0
    return L, veto


IDENTIFYING = {"email": (0,), "phone": (0,), "address": (0, 1), "birthday": (0,), "vat_id": (0,), "registry": (0,), "numbers": (0,)}


def has_identifier(levels: np.ndarray) -> np.ndarray:
    """True where a pair agrees on something beyond names (e-mail, phone, street address, birthday,
    VAT id, register/tax number, customer/supplier number): names alone never auto-merge."""
    out = np.zeros(len(levels), bool)
    for name, ok in IDENTIFYING.items():
        out |= np.isin(levels[:, COMPARISONS.index(name)], ok)
    return out


def weak_first_name_unconfirmed(levels: np.ndarray) -> np.ndarray:
    """True where first names are only loosely similar (Jaro-Winkler 0.80-0.92 or an initial) and
    nothing personal confirms them. Household members share an address (and birthdays repeat across a
    big tenant: Hans/Hanna Müller born the same day), so a typo'd first name is confirmed by an e-mail,
    phone, VAT/register/tax or customer/supplier number, or by birthday and address together, never by
    the address or the birthday alone."""
    weak = levels[:, COMPARISONS.index("first_name")] == 2
    personal = np.zeros(len(levels), bool)
    for name, ok in IDENTIFYING.items():
        if name not in ("birthday", "address"):
            personal |= np.isin(levels[:, COMPARISONS.index(name)], ok)
    both = np.isin(levels[:, COMPARISONS.index("birthday")], IDENTIFYING["birthday"]) & np.isin(
        levels[:, COMPARISONS.index("address")], IDENTIFYING["address"])
    return weak & ~personal & ~both


def describe_veto(code: int) -> str | None:
    return None if code < 0 else VETO_REASONS[code]
