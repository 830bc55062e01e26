"""Source timestamps (ISO 8601 as sent, 'Z' or offsets, or plain dates) → UTC ISO strings."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

from .dates import parse_date


@lru_cache(maxsize=100_000)
def normalize_timestamp(raw: str | None) -> str | None:
    """'2024-05-01T10:00:00+02:00' → '2024-05-01T08:00:00+00:00'; unparseable → None."""
    if not raw:
        return None
    text = str(raw).strip().replace("Z", "+00:00")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        day = parse_date(text)
        return f"{day}T00:00:00+00:00" if day else None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="seconds")
