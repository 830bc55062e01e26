"""Phone numbers to E.164 with phonenumbers (default region DE); unparseable values kept raw."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "DE"


_PUNCT = re.compile(r"[\s()/.\-]")


def normalize_phone(raw: str | None, region: str = DEFAULT_REGION) -> tuple[str | None, bool]:
    """Return (value, valid): E.164 for valid numbers, else the stripped raw text and False.
    Formatting characters are removed first so every spelling of a number shares one cache entry."""
    if raw is None:
        return None, False
    text = str(raw).strip()
    if not text:
        return None, False
    compact = _PUNCT.sub("", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    value, valid = _parse(compact if compact else text, region)
    return (value, True) if valid else (text, False)


@lru_cache(maxsize=300_000)
def _parse(text: str, region: str) -> tuple[str | None, bool]:
    try:
        number = phonenumbers.parse(text, region or DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return text, False
    if not phonenumbers.is_possible_number(number):
        return text, False
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), True
