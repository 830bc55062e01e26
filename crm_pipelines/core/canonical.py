"""ContactDraft → canonical contact rows (one DataFrame per batch), with match keys and rejects.

Normalization is incremental: pass the previous ``content_hash`` per (source, source_id) and
unchanged drafts are skipped. Invalid values are kept raw and named in ``quality_flags``; a draft
with nothing to match on goes to ``rejects``. Big batches are spread over a process pool.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import json
import operator
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, fields
from typing import Iterable, Mapping

import pandas as pd

from .draft import ContactDraft
from .normalize import address, dates, emails, ids, legal_forms, names, phones
from .normalize.phonetic import cologne
from .normalize.timestamps import normalize_timestamp
from .normalize.transliterate import fold_key

CANONICAL_COLUMNS: list[str] = [
    "tenant_id", "source", "source_id", "kind", "salutation", "title", "first_name", "last_name",
    "company_name", "legal_form", "emails", "phones", "email", "phone", "street", "house_number",
    "postal_code", "city", "country", "vat_id", "tax_number", "trade_register", "customer_number",
    "supplier_number", "roles", "birthday", "job_title", "department", "parent_source_id",
    "source_created_at", "source_modified_at", "is_deleted", "content_hash", "quality_flags",
    # match keys
    "first_key", "last_key", "company_key", "first_phon", "last_phon", "company_phon",
    "email_keys", "phone_keys", "street_key", "city_key", "vat_valid",
]
REJECT_COLUMNS = ["tenant_id", "source", "source_id", "reason", "payload"]
_DRAFT_FIELDS = [f.name for f in fields(ContactDraft)]
_DRAFT_VALUES = operator.attrgetter(*_DRAFT_FIELDS)
_ENC = json.encoder.encode_basestring  # what json.dumps(..., ensure_ascii=False) uses for str
PARALLEL_THRESHOLD = 40_000


@dataclass
class NormalizeResult:
    contacts: pd.DataFrame
    rejects: pd.DataFrame
    skipped_unchanged: int = 0


def content_hash(draft: ContactDraft) -> str:
    """Stable hash of every draft field (order of fields fixed by the dataclass)."""
    payload = repr(_DRAFT_VALUES(draft))
    return hashlib.blake2b(payload.encode("utf-8"), digest_size=12).hexdigest()


def _typed_json(items: list[tuple[str, str, bool]]) -> str:
    """Same text as json.dumps([{"type": t, "value": v}, ...], ensure_ascii=False), without the encoder."""
    if not items:
        return "[]"
    return "[" + ", ".join(f'{{"type": {_ENC(t)}, "value": {_ENC(v)}}}' for t, v, _ in items) + "]"


def _str_list_json(values) -> str:
    """json.dumps(sorted(set(values))) for lists of strings (ASCII-escaped, as json.dumps does)."""
    return json.dumps(sorted(set(values))) if values else "[]"


def _typed(values, normalizer, allowed, default_type, flag, flags):
    out, seen = [], set()
    for item in values or ():
        kind, raw = (item if isinstance(item, (tuple, list)) and len(item) == 2 else (default_type, item))
        value, valid = normalizer(raw)
        if value is None:
            continue
        if not valid:
            flags.append(f"invalid_{flag}")
        if value in seen:
            continue
        seen.add(value)
        kind = str(kind).lower() if kind and str(kind).lower() in allowed else "other"
        out.append((kind, value, valid))
    return out


def _infer_kind(d: ContactDraft, first, last, company) -> str:
    if d.kind in ("person", "organization"):
        return d.kind
    if first or last:
        return "person"
    if company:
        return "organization"
    if d.full_name and legal_forms.looks_like_organization(d.full_name):
        return "organization"
    return "person"


def normalize_one(d: ContactDraft) -> tuple[tuple | None, tuple | None]:
    """One draft → (canonical row tuple, None) or (None, reject tuple)."""
    if not d.tenant_id or not d.source or not d.source_id:
        return None, (d.tenant_id, d.source, d.source_id, "missing_key", repr(d))
    flags: list[str] = []
    salutation = names.normalize_salutation(d.salutation)
    title = names.normalize_title(d.title)
    first, sal2, tit2 = names.strip_name_prefixes(d.first_name)
    last = d.last_name
    company_raw = d.company_name
    if not first and not last and d.full_name:
        if d.kind == "organization" or (d.kind is None and legal_forms.looks_like_organization(d.full_name)):
            company_raw = company_raw or d.full_name
        else:
            first, last, sal2, tit2 = names.split_full_name(d.full_name)
    salutation, title = salutation or sal2, title or tit2
    first, last = names.clean_name(first), names.clean_name(last)
    company, legal_form = legal_forms.split_legal_form(company_raw)
    kind = _infer_kind(d, first, last, company)

    mails = _typed(d.emails, emails.normalize_email, ("work", "personal", "other"), "work", "email", flags)
    tels = _typed(d.phones, phones.normalize_phone, ("office", "mobile", "home", "fax", "other"), "office", "phone", flags)
    country, ok = address.normalize_country(d.country)
    if not ok:
        flags.append("unknown_country")
    country = country or "DE"
    street, house_number = address.split_street(d.street, d.house_number)
    postal, ok = address.normalize_postal_code(d.postal_code, country)
    if postal and not ok:
        flags.append("invalid_postal_code")
    vat, vat_valid = ids.normalize_vat_id(d.vat_id)
    if vat and not vat_valid:
        flags.append("invalid_vat_id")
    tax, ok = ids.normalize_tax_number(d.tax_number)
    if tax and not ok:
        flags.append("invalid_tax_number")
    register, ok = ids.normalize_trade_register(d.trade_register)
    if register and not ok:
        flags.append("invalid_trade_register")
    birthday = dates.parse_date(d.birthday)
    if d.birthday and not birthday:
        flags.append("invalid_birthday")
    customer_no, supplier_no = ids.normalize_number(d.customer_number), ids.normalize_number(d.supplier_number)

    if not (first or last or company or mails or tels or vat or tax or register or customer_no or supplier_no):
        return None, (d.tenant_id, d.source, d.source_id, "no_match_attributes", repr(d))

    city = (d.city or "").strip() or None
    email_keys = "|".join(sorted(v for _, v, ok in mails if ok))
    phone_keys = "|".join(sorted(v for t, v, ok in tels if ok and t != "fax"))
    first_key, last_key, company_key = fold_key(first), fold_key(last), fold_key(company)
    row = (
        d.tenant_id, d.source, str(d.source_id), kind, salutation, title, first, last,
        company, legal_form,
        _typed_json(mails), _typed_json(tels),
        mails[0][1] if mails else None, tels[0][1] if tels else None,
        street, house_number, postal, city, country, vat, tax, register, customer_no, supplier_no,
        _str_list_json(d.roles), birthday, (d.job_title or "").strip() or None,
        (d.department or "").strip() or None, d.parent_source_id,
        normalize_timestamp(d.source_created_at), normalize_timestamp(d.source_modified_at),
        bool(d.is_deleted), content_hash(d), _str_list_json(flags),
        first_key, last_key, company_key, cologne(first_key), cologne(last_key), cologne(company_key),
        email_keys, phone_keys, address.street_key(street), fold_key(city), bool(vat and vat_valid),
    )
    return row, None


def _normalize_chunk(drafts: list[ContactDraft]) -> tuple[list[tuple], list[tuple]]:
    rows, rejects = [], []
    for d in drafts:
        try:
            row, reject = normalize_one(d)
        except Exception as exc:  # never crash a batch on one odd record
            row, reject = None, (d.tenant_id, d.source, d.source_id, f"error: {exc!r}"[:500], repr(d))
        if row is not None:
            rows.append(row)
        else:
            rejects.append(reject)
    return rows, rejects


_SHARED: list[ContactDraft] = []


def _normalize_range(bounds: tuple[int, int]) -> tuple[list[tuple], list[tuple]]:
    return _normalize_chunk(_SHARED[bounds[0]:bounds[1]])


def _normalize_parallel(todo: list[ContactDraft], workers: int) -> tuple[list[tuple], list[tuple]]:
    """Forked workers read the drafts from the parent's memory (no pickling on the way in);
    contiguous slices keep each worker's value caches warm (copies of one contact sit together)."""
    global _SHARED
    size = -(-len(todo) // (workers * 2))
    bounds = [(k, min(k + size, len(todo))) for k in range(0, len(todo), size)]
    rows, rejects = [], []
    try:
        ctx = mp.get_context("fork")
    except ValueError:  # no fork on this platform: ship the slices instead
        ctx, _SHARED = None, []
    _SHARED = todo if ctx else []
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            jobs = pool.map(_normalize_range, bounds) if ctx else pool.map(_normalize_chunk, [todo[a:b] for a, b in bounds])
            for r, j in jobs:
                rows.extend(r)
                rejects.extend(j)
    finally:
        _SHARED = []
    return rows, rejects


def normalize_drafts(
    drafts: Iterable[ContactDraft],
    previous_hashes: Mapping[tuple[str, str], str] | None = None,
    workers: int | None = None,
) -> NormalizeResult:
    """Normalize drafts; drafts whose content hash equals ``previous_hashes[(source, source_id)]``
    are skipped (counted in ``skipped_unchanged``)."""
    todo, skipped = [], 0
    for d in drafts:
        if previous_hashes and previous_hashes.get((d.source, str(d.source_id))) == content_hash(d):
            skipped += 1
            continue
        todo.append(d)
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    if workers > 1 and len(todo) >= PARALLEL_THRESHOLD:
        rows, rejects = _normalize_parallel(todo, workers)
    else:
        rows, rejects = _normalize_chunk(todo)
    contacts = pd.DataFrame.from_records(rows, columns=CANONICAL_COLUMNS)
    return NormalizeResult(contacts, pd.DataFrame.from_records(rejects, columns=REJECT_COLUMNS), skipped)
