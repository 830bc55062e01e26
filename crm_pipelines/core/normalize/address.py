"""Street/house number split, 'Str.'/'Straße' standardization, PLZ and country to ISO alpha-2."""

from __future__ import annotations

import re
from functools import lru_cache

from .transliterate import fold_key

_HOUSE = re.compile(r"^(?P<street>.*?[^\d\s])\s*,?\s+(?P<no>\d+\s*[a-zA-Z]?(?:\s*[-/]\s*\d+\s*[a-zA-Z]?)?)$")
_LEADING_NO = re.compile(r"^(?P<no>\d+\s*[a-zA-Z]?)\s+(?P<street>\D.*)$")
_STRASSE = re.compile(r"(str\.|strasse|straße|strase|str\b)", re.IGNORECASE)

_COUNTRIES = {
    "de": "DE", "deu": "DE", "ger": "DE", "germany": "DE", "deutschland": "DE", "brd": "DE",
    "bundesrepublik deutschland": "DE", "d": "DE",
    "at": "AT", "aut": "AT", "austria": "AT", "oesterreich": "AT", "osterreich": "AT", "a": "AT",
    "ch": "CH", "che": "CH", "switzerland": "CH", "schweiz": "CH", "suisse": "CH",
    "nl": "NL", "niederlande": "NL", "netherlands": "NL", "holland": "NL",
    "be": "BE", "belgien": "BE", "belgium": "BE", "lu": "LU", "luxemburg": "LU", "luxembourg": "LU",
    "fr": "FR", "frankreich": "FR", "france": "FR", "it": "IT", "italien": "IT", "italy": "IT",
    "es": "ES", "spanien": "ES", "spain": "ES", "pl": "PL", "polen": "PL", "poland": "PL",
    "cz": "CZ", "tschechien": "CZ", "czechia": "CZ", "dk": "DK", "daenemark": "DK", "denmark": "DK",
    "gb": "GB", "uk": "GB", "united kingdom": "GB", "grossbritannien": "GB", "england": "GB",
    "us": "US", "usa": "US", "united states": "US", "vereinigte staaten": "US",
}


@lru_cache(maxsize=200_000)
def standardize_street(street: str | None) -> str | None:
    """'Hauptstr.' / 'Hauptstrasse' → 'Hauptstraße', whitespace collapsed."""
    if not street:
        return None
    text = re.sub(r"\s+", " ", str(street)).strip(" ,")
    text = _STRASSE.sub(lambda m: "Straße" if m.group(0)[0] == "S" else "straße", text)
    return text or None


@lru_cache(maxsize=200_000)
def split_street(street: str | None, house_number: str | None) -> tuple[str | None, str | None]:
    """Return (street, house number); the number is cut off the street if the source merged them."""
    street = (street or "").strip() or None
    number = re.sub(r"\s+", "", house_number).lower() if house_number and house_number.strip() else None
    if street and not number:
        if m := _HOUSE.match(street):
            street, number = m["street"], re.sub(r"\s+", "", m["no"]).lower()
        elif m := _LEADING_NO.match(street):
            street, number = m["street"], re.sub(r"\s+", "", m["no"]).lower()
    return standardize_street(street), number


def street_key(street: str | None) -> str:
    """Comparison key: folded, 'strasse' → 'str' so every spelling compares equal."""
    return fold_key(street).replace("strasse", "str")


@lru_cache(maxsize=100_000)
def normalize_postal_code(raw: str | None, country: str | None) -> tuple[str | None, bool]:
    """German PLZ: 5 digits (4-digit values zero-padded); other countries: compact upper-case."""
    if raw is None:
        return None, False
    text = re.sub(r"\s+", "", str(raw)).upper()
    text = re.sub(r"^(D|DE)-", "", text)
    if not text:
        return None, False
    if country in (None, "DE"):
        if text.isdigit() and len(text) == 4:
            text = "0" + text
        return text, bool(re.fullmatch(r"\d{5}", text))
    return text, True


@lru_cache(maxsize=10_000)
def normalize_country(raw: str | None) -> tuple[str | None, bool]:
    """ISO 3166 alpha-2 from a name or code; None → None (callers default to DE)."""
    if raw is None or not str(raw).strip():
        return None, True
    key = fold_key(raw)
    if key in _COUNTRIES:
        return _COUNTRIES[key], True
    if len(key) == 2 and key.isalpha():
        return key.upper(), True
    return str(raw).strip(), False
