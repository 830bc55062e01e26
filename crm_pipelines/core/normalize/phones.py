"""Phone numbers to E.164 with phonenumbers (default region DE); unparseable values kept raw."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "DE"


@lru_cache(maxsize=200_000)
def normalize_phone(raw: str | None, region: str = DEFAULT_REGION) -> tuple[str | None, bool]:
    """Return (value, valid): E.164 for valid numbers, else the stripped raw text and False."""
    if raw is None:
        return None, False
    text = str(raw).strip()
    if not text:
        return None, False
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region or DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return text, False
    if not phonenumbers.is_possible_number(number):
        return text, False
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), True
