"""Business identifiers: VAT id (USt-IdNr), German tax number (Steuernummer), trade register."""

from __future__ import annotations

import re
from functools import lru_cache

from stdnum.de import stnr
from stdnum.eu import vat

_HR = re.compile(r"^(HRA|HRB|GNR|PR|VR|GSR)\s*([0-9]+)\s*([A-Z]{0,2})$")


@lru_cache(maxsize=100_000)
def normalize_vat_id(raw: str | None) -> tuple[str | None, bool]:
    """Compact upper-case VAT id and whether its check digits are valid (EU VIES format)."""
    if not raw:
        return None, False
    compact = re.sub(r"[\s.\-/]", "", str(raw)).upper()
    if not compact:
        return None, False
    if compact.isdigit() and len(compact) == 9:
        compact = "DE" + compact  # German ids are often sent without the prefix
    try:
        return vat.validate(compact), True
    except Exception:
        return compact, False


@lru_cache(maxsize=100_000)
def normalize_tax_number(raw: str | None) -> tuple[str | None, bool]:
    """Digits of a Steuernummer (regional or 13-digit federal form) and its validity."""
    if not raw:
        return None, False
    digits = re.sub(r"\D", "", str(raw))
    if not digits:
        return str(raw).strip() or None, False
    try:
        return stnr.validate(digits), True
    except Exception:
        return digits, False


@lru_cache(maxsize=100_000)
def normalize_trade_register(raw: str | None) -> tuple[str | None, bool]:
    """'HRB 12345' style key (court text dropped), upper-case; unknown shapes kept and flagged."""
    if not raw:
        return None, False
    text = re.sub(r"\s+", " ", str(raw).upper().replace(".", "")).strip()
    for part in (text, text.split(",")[-1].strip(), text.split(" ", 1)[-1]):
        m = _HR.match(part.strip())
        if m:
            suffix = m[3] or ""
            return f"{m[1]} {m[2]}{(' ' + suffix) if suffix else ''}", True
    m = re.search(r"(HRA|HRB|GNR|PR|VR|GSR)\s*([0-9]+)", text)
    if m:
        return f"{m[1]} {m[2]}", True
    return text or None, False


def normalize_number(raw: str | None) -> str | None:
    """Customer/supplier numbers: trimmed, upper-case, inner spaces removed, leading zeros kept."""
    if raw is None:
        return None
    text = re.sub(r"\s+", "", str(raw)).upper()
    return text or None
