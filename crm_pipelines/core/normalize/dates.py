"""Dates as sent (ISO, ISO datetime, DD.MM.YYYY, YYYYMMDD, D.M.YY) → ISO 'YYYY-MM-DD' or None."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_DE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SLASH = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _build(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


@lru_cache(maxsize=100_000)
def parse_date(value: str | None) -> str | None:
    """Return an ISO date, or None if ``value`` is empty or not a recognizable valid date."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if m := _ISO.match(text):
        return _build(int(m[1]), int(m[2]), int(m[3]))
    if m := _DE.match(text):
        year = int(m[3])
        if len(m[3]) == 2:  # two-digit years: birthdays are in the past
            year += 1900 if year > date.today().year % 100 else 2000
        return _build(year, int(m[2]), int(m[1]))
    if m := _COMPACT.match(text):
        return _build(int(m[1]), int(m[2]), int(m[3]))
    if m := _SLASH.match(text):  # day first, as in German usage
        return _build(int(m[3]), int(m[2]), int(m[1]))
    return None
