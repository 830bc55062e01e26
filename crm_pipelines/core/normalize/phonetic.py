"""Kölner Phonetik keys (cologne-phonetics package) for blocking on names."""

from __future__ import annotations

from functools import lru_cache

import cologne_phonetics

from .transliterate import fold_key


@lru_cache(maxsize=200_000)
def cologne(value: str | None) -> str:
    """Space-joined Kölner Phonetik codes of every word ('' if nothing to encode)."""
    key = fold_key(value)
    if not key:
        return ""
    try:
        return " ".join(code for _, code in cologne_phonetics.encode(key) if code)
    except Exception:  # the library raises on odd input; a missing key is fine
        return ""
