"""E-mail normalization: validated with email-validator (no DNS), lower-cased; invalid kept raw."""

from __future__ import annotations

import re
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

# Plain ASCII addresses are by far the most common: a strict pattern accepts them without the
# (slower) full validator; anything else goes through email-validator.
_SIMPLE = re.compile(r"^[a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9])?@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$")


@lru_cache(maxsize=200_000)
def normalize_email(raw: str | None) -> tuple[str | None, bool]:
    """Return (value, valid). Valid values are lower-cased; invalid ones are returned stripped."""
    if raw is None:
        return None, False
    text = str(raw).strip().strip("<>").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if not text:
        return None, False
    lowered = text.lower()
    if _SIMPLE.match(lowered) and ".." not in lowered:
        return lowered, True
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return text, False
    return result.normalized.lower(), True
