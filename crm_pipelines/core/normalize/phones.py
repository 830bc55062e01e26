"""Phone numbers to E.164 with phonenumbers (default region DE); unparseable values kept raw."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "DE"


_PUNCT = re.compile(r"[\s()/.\-]")
# Pre-screen for the common German shapes (0171…, +49 171…, 0049 171…): the national significant
# number is the digits after the trunk/country prefix, and phonenumbers' possible-number test for
# DE is a length check against its own metadata. Everything else goes through phonenumbers.parse.
_DE_SIMPLE = re.compile(r"^(?:\+49|0049|0)([1-9]\d{3,16})$")
_DE_META = phonenumbers.PhoneMetadata.metadata_for_region("DE")
_DE_LENGTHS = frozenset(_DE_META.general_desc.possible_length) | frozenset(_DE_META.general_desc.possible_length_local_only)


def normalize_phone(raw: str | None, region: str = DEFAULT_REGION) -> tuple[str | None, bool]:
    """Return (value, valid): E.164 for valid numbers, else the stripped raw text and False.
    Formatting characters are removed first so every spelling of a number shares one cache entry."""
    if raw is None:
        return None, False
    text = str(raw).strip()
    if not text:
        return None, False
    compact = _PUNCT.sub("", text)
    if region == DEFAULT_REGION and (m := _DE_SIMPLE.match(compact)):
        nsn = m.group(1)
        return ("+49" + nsn, True) if len(nsn) in _DE_LENGTHS else (text, False)
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
