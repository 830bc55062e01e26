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


NO_KEY = np.uint64(0)  # ``Columns.hashes`` of a missing value


# columns whose values repeat a lot (a place, a name, a kind): hashed through their distinct values,
# which gives the same hashes (pandas hashes the categories and takes them by code) in about half the
# time; nearly distinct ones (e-mails, phones) are hashed directly, 3-6x faster than categorizing
FEW_VALUES = frozenset({"last_key", "last_phon", "first_phon", "company_phon", "street_key", "house_number",
                        "postal_code", "city_key", "birthday", "kind"})


def key_hash(values: np.ndarray, few_values: bool = False) -> np.ndarray:
    """A 64-bit hash of each string (pandas' SipHash of its UTF-8 bytes: the same in every process and
    run, so the incremental cache can keep it), never NO_KEY. ``few_values``: the values repeat a
    lot (the same hashes, computed once per distinct value)."""
    if len(values) == 0:
        return np.zeros(0, np.uint64)
    out = pd.util.hash_array(np.asarray(values, dtype=object), categorize=few_values)
    out[out == NO_KEY] = 1
    return out


class Columns:
    """The comparison columns of one frame as numpy object arrays ('' for null), converted once
    (pandas string columns are slow to index pair by pair)."""

    def __init__(self, frame: pd.DataFrame):
        self.n = len(frame)
        self.text = {c: _text(frame[c]) for c in TEXT_COLUMNS}
        self.vat_valid = frame["vat_valid"].to_numpy(bool)
        self._lengths: dict[str, np.ndarray] = {}
        self._multi: dict[str, np.ndarray] = {}
        self._hashes: dict[str, np.ndarray] = {}

    @classmethod
    def of_rows(cls, frame: pd.DataFrame, rows: np.ndarray) -> "Columns":
        """``Columns(frame.iloc[rows])`` without copying the frame's other columns (an incremental
        run compares a few thousand records of a million)."""
        out = cls.__new__(cls)
        out.n = len(rows)
        out.text = {c: _text(frame[c], rows) for c in TEXT_COLUMNS}
        out.vat_valid = frame["vat_valid"].to_numpy(bool)[rows]
        out._lengths, out._multi, out._hashes = {}, {}, {}
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

    def hashes(self, col: str) -> np.ndarray:
        """``key_hash`` of each record's value, NO_KEY for a missing one, worked out once per column
        (the blocking keys are built from them)."""
        if col not in self._hashes:
            text = self.text[col]
            rows = np.flatnonzero(text != "")
            out = np.full(self.n, NO_KEY, dtype=np.uint64)
            out[rows] = key_hash(text[rows], col in FEW_VALUES)
            self._hashes[col] = out
        return self._hashes[col]

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


def _h(frame: Columns, col: str, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two sides' ``key_hash`` of ``col`` (NO_KEY = missing): where only equality matters, 64-bit
    numbers are gathered and compared instead of strings (2-20x faster; a false equality needs two
    different values of one column with the same 64-bit hash)."""
    h = frame.hashes(col)
    return h[i], h[j]


def _jw(a: np.ndarray, b: np.ndarray, workers: int) -> np.ndarray:
    if len(a) == 0:
        return np.zeros(0, np.float32)
    return process.cpdist(list(a), list(b), scorer=JaroWinkler.normalized_similarity, workers=workers, dtype=np.float32)


def _where(rows: np.ndarray, n: int, scores) -> np.ndarray:
    """A score per pair, computed for ``rows`` only (the pairs whose level it decides); 0 elsewhere."""
    out = np.zeros(n, np.float32)
    if len(rows):
        out[rows] = scores(rows)
    return out


def _shared(frame: Columns, col: str, i: np.ndarray, j: np.ndarray, ha: np.ndarray, hb: np.ndarray) -> np.ndarray:
    """Multi-valued '|' keys: True where the two sets intersect. Equal values share; only pairs where
    either side holds several keys are split."""
    out = (ha == hb) & (ha != NO_KEY)
    several = frame.multi(col)
    multi = np.flatnonzero(~out & (ha != NO_KEY) & (hb != NO_KEY) & (several[i] | several[j])) if len(i) else []
    if len(multi):
        text = frame.text[col]
        out[multi] = [bool(set(a.split("|")) & set(b.split("|")))
                      for a, b in zip(text[i[multi]].tolist(), text[j[multi]].tolist())]
    return out


def _levels(null: np.ndarray, conditions: list[np.ndarray]) -> np.ndarray:
    out = np.full(len(null), len(conditions), dtype=np.int8)
    for level in range(len(conditions) - 1, -1, -1):
        out[conditions[level]] = level
    out[null] = -1
    return out


def compare(frame: pd.DataFrame, i: np.ndarray, j: np.ndarray, workers: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Return (levels int8 [n, len(COMPARISONS)], veto codes int8 [n]: -1 none, else VETO_REASONS index).

    A fuzzy score (Jaro-Winkler, token set) is computed only for the pairs whose level it decides:
    not where a side is missing, nor where the values are equal (the first level takes those)."""
    frame = columns(frame)
    n = len(i)
    L = np.empty((n, len(COMPARISONS)), dtype=np.int8)
    fa, fb = _s(frame, "first_key", i), _s(frame, "first_key", j)
    la, lb = _s(frame, "last_key", i), _s(frame, "last_key", j)
    both = np.flatnonzero((fa != "") & (la != "") & (fb != "") & (lb != "") & (fa != la))
    swapped = np.zeros(n, bool)
    if len(both):
        a1, b1, a2, b2 = fa[both], fb[both], la[both], lb[both]
        first_last, last_first = _jw(a1, b2, workers), _jw(a2, b1, workers)
        cross, cross_best = np.minimum(first_last, last_first), np.maximum(first_last, last_first)
        direct = np.minimum(_jw(a1, b1, workers), _jw(a2, b2, workers))
        # first/last swapped, typos tolerated (one side exact allows a stronger typo on the other)
        swapped[both] = (cross > direct) & ((cross >= 0.88) | ((cross_best >= 0.999) & (cross >= 0.75)))
    fb, lb = np.where(swapped, lb, fb), np.where(swapped, fb, lb)
    fnull = (fa == "") | (fb == "")
    fsame = fa == fb
    fjw = _where(np.flatnonzero(~fnull & ~fsame), n, lambda r: _jw(fa[r], fb[r], workers))
    # an initial: one side is a single letter, the same as the other side's first letter
    len_a = frame.lengths("first_key")[i]
    len_b = np.where(swapped, frame.lengths("last_key")[j], frame.lengths("first_key")[j])
    maybe = np.flatnonzero(~fnull & ((len_a == 1) | (len_b == 1)))
    initial = np.zeros(n, bool)
    initial[maybe] = [x[:1] == y[:1] for x, y in zip(fa[maybe].tolist(), fb[maybe].tolist())]
    L[:, 0] = _levels(fnull, [fsame, fjw >= 0.92, (fjw >= 0.80) | initial])
    lnull = (la == "") | (lb == "")
    lsame = la == lb
    ljw = _where(np.flatnonzero(~lnull & ~lsame), n, lambda r: _jw(la[r], lb[r], workers))
    lpa, lpb = _h(frame, "last_phon", i, j)
    L[:, 1] = _levels(lnull, [lsame, ljw >= 0.92, (lpa == lpb) & (lpa != NO_KEY), ljw >= 0.80])
    ca, cb = _h(frame, "company_key", i, j)
    cnull = (ca == NO_KEY) | (cb == NO_KEY)
    csame = ca == cb
    ctext = frame.text["company_key"]
    cts = _where(np.flatnonzero(~cnull & ~csame), n, lambda r: process.cpdist(
        ctext[i[r]].tolist(), ctext[j[r]].tolist(), scorer=token_set_ratio, workers=workers, dtype=np.float32))
    L[:, 2] = _levels(cnull, [csame, cts >= 90, cts >= 75])
    ea, eb = _h(frame, "email_keys", i, j)
    enull = (ea == NO_KEY) | (eb == NO_KEY)
    eshared = _shared(frame, "email_keys", i, j, ea, eb)
    etext = frame.text["email_keys"]
    ejw = _where(np.flatnonzero(~enull & ~eshared), n, lambda r: _jw(etext[i[r]], etext[j[r]], workers))
    L[:, 3] = _levels(enull, [eshared, ejw >= 0.92])
    pa, pb = _h(frame, "phone_keys", i, j)
    L[:, 4] = _levels((pa == NO_KEY) | (pb == NO_KEY), [_shared(frame, "phone_keys", i, j, pa, pb)])
    sa, sb = _h(frame, "street_key", i, j)
    ha, hb = _h(frame, "house_number", i, j)
    za, zb = _h(frame, "postal_code", i, j)
    ta, tb = _h(frame, "city_key", i, j)
    same_zip = (za == zb) & (za != NO_KEY)
    same_street = (sa == sb) & (sa != NO_KEY)
    exact_address = same_zip & same_street & (ha == hb)
    stext = frame.text["street_key"]
    sjw = _where(np.flatnonzero(same_zip & ~exact_address & (sa != NO_KEY) & (sb != NO_KEY)), n,
                 lambda r: _jw(stext[i[r]], stext[j[r]], workers))
    anull = ((za == NO_KEY) | (zb == NO_KEY)) & ((ta == NO_KEY) | (tb == NO_KEY))
    L[:, 5] = _levels(anull, [exact_address, same_zip & (sjw >= 0.9) & (sa != NO_KEY), same_zip,
                              ((za == NO_KEY) | (zb == NO_KEY)) & (ta == tb)])
    ba, bb = _h(frame, "birthday", i, j)
    bnull = (ba == NO_KEY) | (bb == NO_KEY)
    L[:, 6] = _levels(bnull, [ba == bb])
    va, vb = _h(frame, "vat_id", i, j)
    L[:, 7] = _levels((va == NO_KEY) | (vb == NO_KEY), [va == vb])
    ra, rb = _h(frame, "trade_register", i, j)
    xa, xb = _h(frame, "tax_number", i, j)
    rnull = ((ra == NO_KEY) | (rb == NO_KEY)) & ((xa == NO_KEY) | (xb == NO_KEY))
    L[:, 8] = _levels(rnull, [((ra == rb) & (ra != NO_KEY)) | ((xa == xb) & (xa != NO_KEY))])
    na, nb = _h(frame, "customer_number", i, j)
    ma, mb = _h(frame, "supplier_number", i, j)
    nnull = ((na == NO_KEY) | (nb == NO_KEY)) & ((ma == NO_KEY) | (mb == NO_KEY))
    L[:, 9] = _levels(nnull, [((na == nb) & (na != NO_KEY)) | ((ma == mb) & (ma != NO_KEY))])

    veto = np.full(n, -1, dtype=np.int8)
    ka, kb = _h(frame, "kind", i, j)
    vvalid = frame.vat_valid
    veto[(L[:, 0] == 3) & ~swapped] = 3
    veto[(L[:, 6] == 1)] = 2
    veto[(L[:, 7] == 1) & vvalid[i] & vvalid[j]] = 1
    veto[ka != kb] = 0
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
