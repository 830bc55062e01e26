"""German (and a few neighbouring) legal forms: split 'Muster Bau GmbH & Co. KG' into name + form."""

from __future__ import annotations

import re
from functools import lru_cache

# (canonical form, pattern) — longest/most specific first; matched at the END of the name.
_FORMS: list[tuple[str, str]] = [
    ("GmbH & Co. KGaA", r"gmbh\s*(?:&|und|\+)\s*co\.?\s*kgaa"),
    ("GmbH & Co. KG", r"gmbh\s*(?:&|und|\+)\s*co\.?\s*kg"),
    ("UG (haftungsbeschränkt) & Co. KG", r"ug\s*\(haftungsbeschr(?:ä|ae|a)nkt\)\s*(?:&|und)\s*co\.?\s*kg"),
    ("AG & Co. KG", r"ag\s*(?:&|und)\s*co\.?\s*kg"),
    ("UG (haftungsbeschränkt)", r"ug\s*\(?\s*haftungsbeschr(?:ä|ae|a)nkt\s*\)?|ug\s*\(\s*hb\s*\)|ug"),
    ("gGmbH", r"ggmbh"),
    ("GmbH", r"gmbh|gesellschaft mit beschr(?:ä|ae|a)nkter haftung|ges\.?\s*m\.?\s*b\.?\s*h\.?"),
    ("KGaA", r"kgaa"),
    ("AG", r"ag|aktiengesellschaft"),
    ("SE", r"se"),
    ("e.K.", r"e\.?\s*k(?:fm|fr)?\.?|eingetragene[rn]? kauf(?:mann|frau)"),
    ("e.V.", r"e\.?\s*v\.?|eingetragener verein"),
    ("eG", r"e\.?\s*g\.?|eingetragene genossenschaft"),
    ("GbR", r"gbr|gesellschaft b(?:ü|ue|u)rgerlichen rechts"),
    ("PartG mbB", r"partg\s*mbb"),
    ("PartG", r"partg|partnerschaftsgesellschaft"),
    ("OHG", r"ohg|offene handelsgesellschaft"),
    ("KG", r"kg|kommanditgesellschaft"),
    ("Ltd.", r"ltd\.?|limited"),
    ("Inc.", r"inc\.?"),
    ("LLC", r"llc"),
    ("S.A.", r"s\.\s*a\."),
    ("B.V.", r"b\.\s*v\."),
]
_FORM_RE = [
    (form, re.compile(r"(?:^|[\s,\-])(?:" + pat + r")\s*$", re.IGNORECASE)) for form, pat in _FORMS
]


@lru_cache(maxsize=200_000)
def split_legal_form(name: str | None) -> tuple[str | None, str | None]:
    """Return (name without legal form, canonical legal form or None)."""
    if not name:
        return None, None
    text = re.sub(r"\s+", " ", str(name)).strip()
    for form, pattern in _FORM_RE:
        m = pattern.search(text)
        if m:
            rest = text[: m.start()].strip(" ,-")
            if rest:  # a name consisting only of a legal form keeps it as the name
                return rest, form
    return text or None, None


_HINTS = re.compile(
    r"\b(gmbh|ag|kg|ohg|gbr|ug|e\.?\s?k\.?|e\.?\s?v\.?|ltd|inc|llc|partg|kgaa|se|"
    r"verlag|bau|service|services|handel|holding|gruppe|group|werk|werke|technik|solutions|"
    r"consulting|partner|immobilien|versicherung|bank|praxis|kanzlei|studio|agentur|stadtwerke)\b",
    re.IGNORECASE,
)


def looks_like_organization(name: str | None) -> bool:
    """Heuristic used when a source only has one name field and no kind."""
    return bool(name) and bool(_HINTS.search(name))
