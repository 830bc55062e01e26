"""German-aware transliteration: ä→ae, ö→oe, ü→ue, ß→ss first, then ASCII folding (no Unidecode)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_GERMAN = str.maketrans({
    "ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS",
})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=200_000)
def to_ascii(value: str) -> str:
    """German umlauts expanded, then remaining accents stripped (é→e, ł kept out)."""
    expanded = value.translate(_GERMAN)
    decomposed = unicodedata.normalize("NFKD", expanded)
    return decomposed.encode("ascii", "ignore").decode("ascii")


@lru_cache(maxsize=200_000)
def fold_key(value: str | None) -> str:
    """Lower-case ASCII key with single spaces between alphanumeric runs ('' for empty)."""
    if not value:
        return ""
    return _NON_ALNUM.sub(" ", to_ascii(value).lower()).strip()
