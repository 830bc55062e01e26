"""Realistic drift: how one true value looks after a human typed it into one more tool.

Every function takes the source's ``random.Random`` and returns the value as that source holds it.
``noise`` switches on invalid values (an e-mail without @, an unparseable phone) for quality flags.
"""

from __future__ import annotations

import random

from crm_pipelines.demo.addresses import area_split
from crm_pipelines.demo.names import transliterate

INVALID_EMAIL_RATE = 0.015
INVALID_PHONE_RATE = 0.015
UNPARSEABLE_PHONES = ("bitte nur per Mail", "n/a", "0171-23", "folgt", "xxx")
_NEIGHBOURS = {"a": "s", "e": "r", "i": "o", "n": "m", "r": "t", "s": "a", "t": "z", "u": "i", "l": "k", "m": "n"}


def typo(rng: random.Random, text: str) -> str:
    """One-character slip: swapped neighbours, a dropped, doubled or mistyped letter."""
    if len(text) < 4:
        return text
    i = rng.randint(1, len(text) - 2)
    kind = rng.choice(("swap", "drop", "double", "neighbour"))
    if kind == "swap" and text[i] != text[i + 1]:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if kind == "drop":
        return text[:i] + text[i + 1:]
    if kind == "double":
        return text[:i] + text[i] + text[i:]
    return text[:i] + _NEIGHBOURS.get(text[i], text[i]) + text[i + 1:]


def name(rng: random.Random, value: str | None, level: float = 1.0) -> str | None:
    """Umlaut drift (Müller/Mueller, Weiß/Weiss) and the odd typo."""
    if not value:
        return value
    if value != transliterate(value) and rng.random() < 0.3 * level:
        value = transliterate(value)
    if rng.random() < 0.03 * level:
        value = typo(rng, value)
    return value


def email(rng: random.Random, value: str | None, noise: bool, level: float = 1.0) -> str | None:
    if not value:
        return value
    if noise and rng.random() < INVALID_EMAIL_RATE:
        return value.replace("@", rng.choice(("(at)", "", " at ")))
    roll = rng.random()
    if roll < 0.07 * level:
        local, domain = value.split("@")
        return ".".join(p.capitalize() for p in local.split(".")) + "@" + domain.capitalize()
    if roll < 0.10 * level:
        return value.upper() if rng.random() < 0.3 else value.split("@")[0] + "@" + value.split("@")[1].upper()
    return value


def phone(rng: random.Random, e164: str | None, noise: bool) -> str | None:
    """One of the ways Germans write a number: ``0171 2345678``, ``+49 (0)171-2345678``, ..."""
    if not e164:
        return e164
    if noise and rng.random() < INVALID_PHONE_RATE:
        return rng.choice(UNPARSEABLE_PHONES)
    area, rest = area_split(e164)
    formats = (
        f"0{area} {rest}", f"0{area} {rest}", f"+49 {area} {rest}", f"+49 (0){area}-{rest}",
        f"0049 {area} {rest}", f"0{area}/{rest}", e164, f"(0{area}) {rest}",
        f"0{area}-{rest[:3]} {rest[3:]}", f"+49{area}{rest}",
    )
    return rng.choice(formats)


def street(rng: random.Random, value: str | None, number: str | None) -> str | None:
    """Straße / Str. / Strasse variants, number glued on as most tools hold it."""
    if not value:
        return value
    roll = rng.random()
    if "traße" in value:
        if roll < 0.25:
            value = value.replace("traße", "tr.")
        elif roll < 0.35:
            value = value.replace("traße", "trasse")
        elif roll < 0.40:
            value = value.replace("traße", "tr")
    if number is None:
        return value
    if rng.random() < 0.05 and number[-1].isalpha():
        number = number[:-1] + " " + number[-1]
    return f"{value} {number}"


def company(rng: random.Random, value: str | None, legal_form: str | None, level: float = 1.0) -> str | None:
    """With/without the legal form, "Co.KG"/"Co. KG", "UG" for "UG (haftungsbeschränkt)", umlauts."""
    if not value:
        return value
    if legal_form and value.endswith(legal_form):
        base = value[: -len(legal_form)].rstrip()
        roll = rng.random()
        if roll < 0.2 * level:
            value = base
        elif legal_form == "GmbH & Co. KG" and roll < 0.35:
            value = base + rng.choice((" GmbH & Co.KG", " GmbH u. Co. KG", " GmbH&Co. KG"))
        elif legal_form.startswith("UG") and roll < 0.4:
            value = base + " UG"
        elif legal_form == "e.K." and roll < 0.35:
            value = base + " e. K."
    return name(rng, value, 0.6 * level)


def vat(rng: random.Random, value: str | None) -> str | None:
    if not value:
        return value
    roll = rng.random()
    if roll < 0.15:
        return f"{value[:2]} {value[2:5]} {value[5:8]} {value[8:]}"
    if roll < 0.2:
        return value.lower()
    return value


def city(rng: random.Random, value: str | None) -> str | None:
    if not value:
        return value
    roll = rng.random()
    if roll < 0.06:
        return transliterate(value)
    if roll < 0.1:
        return (value.replace("Frankfurt am Main", "Frankfurt a.M.").replace("im Breisgau", "i. Br.")
                .replace("Garching b. München", "Garching").replace("a. d. Ilm", "an der Ilm"))
    return value
