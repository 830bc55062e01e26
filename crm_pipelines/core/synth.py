"""Synthetic German contact sets with realistic duplicates and ground truth (for benchmarks/tests).

Pools are drawn once from Faker de_DE; rows are generated with numpy random choices, so a million
rows take seconds. Duplicates vary the way real SaaS copies drift: typos, umlaut spellings
(Müller/Mueller), swapped first/last name, one full-name field, missing fields, phone formats
(0171…/+49 171…/0049…), e-mail case, Str./Straße/Strasse, date formats. Hard negatives: household
members sharing last name, address and landline, and company contact persons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
from faker import Faker
from faker.providers.person.de_DE import Provider as PersonProvider
from stdnum.iso7064 import mod_11_10

from .draft import ContactDraft

SOURCES = np.array(["hero", "ms365", "monday", "lexware", "weclapp"])
_UML = {"ü": "ue", "ö": "oe", "ä": "ae", "ß": "ss"}
_DOMAINS = ["gmail.com", "web.de", "gmx.de", "t-online.de", "outlook.de", "yahoo.de", "posteo.de", "icloud.com"]
_CO_WORDS = ["Bau", "Haustechnik", "Elektro", "Sanitär", "Malerbetrieb", "Dachdeckerei", "Immobilien", "Consulting",
             "Logistik", "Metallbau", "Tischlerei", "Gartenbau", "Fliesen", "Heizung", "Steuerberatung", "Service"]
_FORMS = ["GmbH", "GmbH & Co. KG", "UG (haftungsbeschränkt)", "AG", "e.K.", "GbR", "KG", "OHG"]


@dataclass
class Pools:
    first_m: np.ndarray
    first_f: np.ndarray
    last: np.ndarray
    streets: np.ndarray
    plz: np.ndarray
    cities: np.ndarray


def make_pools(seed: int) -> Pools:
    fake = Faker("de_DE")
    fake.seed_instance(seed)
    streets = np.array(sorted({fake.street_name() for _ in range(4000)}))
    rng = np.random.default_rng(seed)
    cities = np.array([fake.city() for _ in range(3000)])
    plz = np.array([f"{p:05d}" for p in rng.choice(np.arange(1001, 99999), 3000, replace=False)])
    return Pools(np.array(PersonProvider.first_names_male), np.array(PersonProvider.first_names_female),
                 np.array(PersonProvider.last_names), streets, plz, cities)


def _typo(s: str, r: float) -> str:
    if len(s) < 4:
        return s
    k = 1 + int(r * (len(s) - 2))
    mode = int(r * 1000) % 3
    if mode == 0:
        return s[:k] + s[k + 1:]
    if mode == 1 and k + 1 < len(s):
        return s[:k] + s[k + 1] + s[k] + s[k + 2:]
    return s[:k] + "eaionr"[int(r * 10000) % 6] + s[k + 1:]


def _uml(s: str) -> str:
    for a, b in _UML.items():
        s = s.replace(a, b)
    return s


def _vat(n: int) -> str:
    body = f"{n % 10**8:08d}"
    body = str(1 + n % 9) + body[1:]
    return "DE" + body + mod_11_10.calc_check_digit(body)


def _phone(num: str, style: int) -> str:
    pre, rest = num[:4], num[4:]
    return [f"{pre} {rest}", f"+49 {pre[1:]} {rest}", f"0049{pre[1:]}{rest}", f"({pre}) {rest[:3]}-{rest[3:]}", f"{pre}/{rest}"][style]


def generate(n_contacts: int, seed: int = 7, tenant_id: str = "bench", chunk: int = 50_000) -> Iterator[tuple[list[ContactDraft], np.ndarray]]:
    """Yield (drafts, entity id per draft) chunks; entity ids are the ground truth."""
    pools = make_pools(seed)
    rng = np.random.default_rng(seed)
    for start in range(0, n_contacts, chunk):
        size = min(chunk, n_contacts - start)
        yield _chunk(start, size, pools, rng, tenant_id)


def _chunk(start: int, size: int, p: Pools, rng: np.random.Generator, tenant_id: str):
    ent = np.arange(start, start + size)
    is_org = rng.random(size) < 0.18
    female = rng.random(size) < 0.5
    first = np.where(female, rng.choice(p.first_f, size), rng.choice(p.first_m, size))
    last = rng.choice(p.last, size)
    loc = rng.integers(0, len(p.plz), size)
    street = rng.choice(p.streets, size)
    house = rng.integers(1, 180, size)
    mobile = np.array([f"01{rng.integers(51, 80)}{x:07d}" for x in rng.integers(0, 10**7, size)])
    # households: 6% of persons share last name, address and landline with the previous entity
    household = (rng.random(size) < 0.06) & ~is_org
    household[0] = False
    for k in np.flatnonzero(household):
        last[k], loc[k], street[k], house[k] = last[k - 1], loc[k - 1], street[k - 1], house[k - 1]
    land = np.array([f"0{rng.integers(20, 99)}{x:07d}" for x in rng.integers(0, 10**7, size)])
    for k in np.flatnonzero(household):
        land[k] = land[k - 1]
    words = rng.choice(_CO_WORDS, size)
    forms = rng.choice(_FORMS, size)
    bday = rng.integers(0, 20000, size)
    copies = rng.choice([1, 2, 3, 4], size, p=[0.45, 0.32, 0.16, 0.07])
    drafts, truth = [], []
    r = rng.random((int(copies.sum()), 12))
    row = 0
    for k in range(size):
        eid = int(ent[k])
        domain = _DOMAINS[eid % len(_DOMAINS)]
        f0, l0 = str(first[k]), str(last[k])
        email = (f"info@{_uml(l0.lower())}-{words[k].lower()}{eid}.de" if is_org[k]
                 else f"{_uml(f0.lower())}.{_uml(l0.lower())}{eid}@{domain}").replace(" ", "")
        for c in range(int(copies[k])):
            x = r[row]
            row += 1
            src = str(SOURCES[int(x[0] * 5)])
            d = ContactDraft(tenant_id=tenant_id, source=src, source_id=f"{src}-{eid}-{c}")
            fn, ln = f0, l0
            if c > 0:
                if x[1] < 0.15:
                    fn = _typo(fn, x[11])
                elif x[1] < 0.30:
                    ln = _typo(ln, x[11])
                if x[2] < 0.3:
                    fn, ln = _uml(fn), _uml(ln)
            if is_org[k]:
                name = f"{ln} {words[k]}"
                d.company_name = name + ("" if x[3] < 0.3 else " " + str(forms[k]))
                d.kind = "organization" if x[4] < 0.5 else None
                if x[5] < 0.6:
                    d.vat_id = _vat(eid) if x[6] < 0.7 else _vat(eid)[2:]
            elif c > 0 and x[3] < 0.04:
                d.first_name, d.last_name = ln, fn  # swapped
            elif src == "ms365" and x[3] < 0.5:
                d.full_name = (("Herr " if not female[k] else "Frau ") if x[4] < 0.3 else "") + f"{fn} {ln}"
            else:
                d.first_name, d.last_name = fn, ln
                if x[4] < 0.2:
                    d.salutation = "Frau" if female[k] else "Herr"
            if c == 0 or x[7] > 0.2:
                e = email if x[8] < 0.7 else email.title()
                d.emails = [("work", e)]
            if c == 0 or x[8] > 0.25 or not d.emails:
                num = land[k] if (household[k] or x[9] < 0.3) else mobile[k]
                d.phones = [("mobile" if num.startswith("01") else "office", _phone(num, int(x[9] * 5)))]
            if c == 0 or x[10] > 0.15:
                st = str(street[k])
                st = st.replace("straße", "str.") if x[10] < 0.5 else st.replace("straße", "strasse") if x[10] < 0.6 else st
                if x[5] < 0.5:
                    d.street, d.house_number = st, str(house[k])
                else:
                    d.street = f"{st} {house[k]}"
                d.postal_code, d.city = str(p.plz[loc[k]]), str(p.cities[loc[k]])
            if not is_org[k] and bday[k] % 10 < 4 and x[6] < 0.7:
                y, m, dd = 1950 + bday[k] % 50, 1 + bday[k] % 12, 1 + bday[k] % 28
                d.birthday = [f"{y}-{m:02d}-{dd:02d}", f"{dd:02d}.{m:02d}.{y}", f"{y}{m:02d}{dd:02d}"][int(x[7] * 3)]
            d.source_modified_at = f"2024-{1 + int(x[2] * 12):02d}-{1 + int(x[1] * 28):02d}T10:00:00Z"
            drafts.append(d)
            truth.append(eid)
    return drafts, np.asarray(truth)
