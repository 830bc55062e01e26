"""Person names: German salutations and titles, full-name splitting with nameparser, name keys."""

from __future__ import annotations

import re
from functools import lru_cache

from nameparser import HumanName
from nameparser.config import Constants

_SALUTATIONS = {
    "herr": "Herr", "herrn": "Herr", "hr": "Herr", "mr": "Herr", "mister": "Herr", "sir": "Herr",
    "frau": "Frau", "fr": "Frau", "mrs": "Frau", "ms": "Frau", "miss": "Frau", "madam": "Frau",
}
_TITLE_WORDS = ["dr", "prof", "dipl.-ing", "dipl-ing", "dipl.-kfm", "dipl.-kff", "dipl.-kffr",
                "dipl.-inf", "dipl.-psych", "dipl", "ing", "mag", "med", "rer", "nat", "phil", "jur",
                "h.c", "habil", "mba", "msc", "bsc", "ll.m", "dr.-ing", "dr.-ing.", "dres", "priv.-doz"]
# a private vocabulary (the shared nameparser CONSTANTS stay untouched; mutating them is deprecated)
_NAME_CONSTANTS = Constants()
_NAME_CONSTANTS.titles.add(*_TITLE_WORDS, *_SALUTATIONS)
_NAME_CONSTANTS.prefixes.add("von", "van", "zu", "vom", "zum", "zur", "de", "der", "den", "ter")

# Titles inside a name field: "Dr.", "Prof. Dr.", "Dipl.-Ing.", "Dr. med.", "Dr. rer. nat."
# A title word ends in a dot or before a non-letter: "Phil." is a title, "Philipp" is a name.
_TITLE_RE = re.compile(
    r"^((?:prof\.?|dr\.?(?:\s*-?\s*ing\.?)?|dipl\.?\s*-\s*[a-zäöü]+\.?|dipl\.?|mag\.?|med\.?|rer\.\s*nat\.?|"
    r"phil\.?|jur\.?|h\.\s*c\.?|habil\.?)(?:(?<=\.)|(?![a-zäöüß]))\s*)+",
    re.IGNORECASE,
)
_SAL_RE = re.compile(r"^(herrn?|frau|hr\.?|fr\.?|mrs?\.?|ms\.?|miss)\s+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=1_000)
def normalize_salutation(raw: str | None) -> str | None:
    """'Herr', 'Hr.', 'Mr.' → 'Herr'; 'Frau', 'Mrs', 'MS' → 'Frau'; anything else → None."""
    if not raw:
        return None
    return _SALUTATIONS.get(re.sub(r"[^a-z]", "", str(raw).lower()))


@lru_cache(maxsize=10_000)
def normalize_title(raw: str | None) -> str | None:
    """Collapse spacing of academic titles ('prof.  dr.' → 'Prof. Dr.')."""
    if not raw or not str(raw).strip():
        return None
    text = _SPACE.sub(" ", str(raw).strip())
    if not text.islower():
        return text
    return " ".join(w if w in ("med.", "rer.", "nat.", "phil.", "jur.") else w[:1].upper() + w[1:] for w in text.split(" "))


@lru_cache(maxsize=200_000)
def strip_name_prefixes(value: str | None) -> tuple[str | None, str | None, str | None]:
    """Cut salutation and titles off the front of a name field → (rest, salutation, title)."""
    if not value:
        return None, None, None
    text = _SPACE.sub(" ", str(value)).strip()
    salutation = None
    if m := _SAL_RE.match(text):
        salutation = normalize_salutation(m.group(1))
        text = text[m.end():]
    title = None
    if m := _TITLE_RE.match(text):
        if m.end() < len(text):
            title = normalize_title(m.group(0).strip())
            text = text[m.end():].strip()
    return text or None, salutation, title


@lru_cache(maxsize=200_000)
def split_full_name(full_name: str) -> tuple[str | None, str | None, str | None, str | None]:
    """'Herr Dr. Hans-Peter Müller' → (first, last, salutation, title); 'Müller, Hans' handled."""
    rest, salutation, title = strip_name_prefixes(full_name)
    if not rest:
        return None, None, salutation, title
    if "," in rest:
        last, _, first = rest.partition(",")
        return first.strip() or None, last.strip() or None, salutation, title
    if " " not in rest:
        return None, rest, salutation, title
    words = rest.split(" ")
    if len(words) == 2 and words[0].lower().rstrip(".") not in _SALUTATIONS:  # fast path: "First Last"
        return words[0], words[1], salutation, title
    parsed = HumanName(rest, constants=_NAME_CONSTANTS)
    first = " ".join(p for p in (parsed.first, parsed.middle) if p) or None
    last = parsed.last or None
    if not salutation and parsed.title:
        salutation = normalize_salutation(parsed.title)
    return first, last, salutation, title


def clean_name(value: str | None) -> str | None:
    """Whitespace collapsed, surrounding punctuation removed; casing kept unless all upper/lower."""
    if not value:
        return None
    text = _SPACE.sub(" ", str(value)).strip(" ,;.")
    if not text:
        return None
    if text.isupper() or text.islower():
        text = "-".join(part.title() for part in text.split("-")) if len(text) > 1 else text.upper()
    return text
