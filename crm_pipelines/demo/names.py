"""German person and company names, legal forms, e-mail addresses and tax identifiers."""

from __future__ import annotations

import random
import re

from faker import Faker
from stdnum.iso7064 import mod_11_10

COMMON_SURNAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner",
    "Krause", "Meier", "Lehmann", "Huber", "Mayer", "Herrmann", "Köhler", "Walter", "König", "Weiß",
    "Jäger", "Groß", "Maier", "Fuchs", "Vogel", "Keller", "Günther", "Frank", "Berger", "Winkler",
    "Roth", "Beck", "Lorenz", "Baumann", "Franke", "Albrecht", "Böhm", "Winter", "Kraus", "Schuster",
    "Yilmaz", "Kaya", "Nowak", "Kowalski", "Öztürk", "Schürmann", "Strauß", "Gärtner", "Dreßler",
)
LEGAL_FORMS = ("GmbH", "GmbH", "GmbH", "GmbH & Co. KG", "UG (haftungsbeschränkt)", "AG", "e.K.", "GbR")
CUSTOMER_ORGS = ("Hausverwaltung", "Immobilien", "Wohnbau", "Architekturbüro", "Praxis", "Kanzlei",
                 "Bäckerei", "Autohaus", "Gasthof", "Pflegedienst")
SUPPLIER_ORGS = ("Baustoffe", "Sanitär-Großhandel", "Fliesenhandel", "Holzhandel", "Elektrogroßhandel",
                 "Farben & Lacke", "Baumaschinenverleih", "Containerdienst", "Werkzeughandel")
TRADES = ("Sanitär", "Elektro", "Fliesen", "Dachdeckerei", "Malerbetrieb", "Trockenbau", "Schreinerei",
          "Heizung & Sanitär", "Gerüstbau", "Bodenbeläge", "Estrich", "Glaserei")
AGENCY_CLIENTS = ("Steuerberatung", "Weinhandel", "Physiotherapie", "Zahnarztpraxis", "Möbelhaus",
                  "Brauerei", "Modehaus", "Reisebüro", "Optik", "Fahrradladen", "Software", "Catering")
AGENCY_SUPPLIERS = ("Druckerei", "Fotostudio", "Hosting", "Übersetzungsbüro", "Messebau", "Videoproduktion")
SALON_SUPPLIERS = ("Friseurbedarf", "Kosmetikvertrieb", "Handtuchservice", "Salonmöbel")
PRIVATE_DOMAINS = ("web.de", "gmx.de", "gmx.net", "t-online.de", "gmail.com", "outlook.de", "posteo.de",
                   "freenet.de", "icloud.com", "yahoo.de")
JOB_TITLES = ("Geschäftsführer", "Geschäftsführerin", "Einkauf", "Buchhaltung", "Projektleitung",
              "Objektbetreuung", "Vertrieb", "Assistenz der Geschäftsführung", "Marketing")

_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def transliterate(text: str) -> str:
    """Müller -> Mueller, Weiß -> Weiss."""
    return text.translate(_TRANSLIT)


def slug(text: str) -> str:
    """A domain/local-part friendly lower-case form: "Schulz Haustechnik" -> "schulz-haustechnik"."""
    text = transliterate(text).lower().replace("&", "und")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def person_name(rng: random.Random, fake: Faker) -> tuple[str, str, str]:
    """(salutation, first name, last name)."""
    female = rng.random() < 0.5
    first = fake.first_name_female() if female else fake.first_name_male()
    last = rng.choice(COMMON_SURNAMES) if rng.random() < 0.6 else fake.last_name()
    return ("Frau" if female else "Herr"), first, last


def academic_title(rng: random.Random) -> str | None:
    roll = rng.random()
    return "Dr." if roll < 0.06 else "Prof. Dr." if roll < 0.075 else "Prof." if roll < 0.08 else None


def company(rng: random.Random, fake: Faker, kinds: tuple[str, ...]) -> tuple[str, str]:
    """(full company name with legal form, legal form), e.g. ("Schulz Sanitär GmbH", "GmbH")."""
    owner = rng.choice(COMMON_SURNAMES) if rng.random() < 0.7 else fake.last_name()
    trade = rng.choice(kinds)
    form = rng.choice(LEGAL_FORMS)
    if form == "e.K.":
        base = f"{trade} {owner}" if rng.random() < 0.5 else f"{owner} {trade}"
    elif rng.random() < 0.2:
        base = f"{owner} & {rng.choice(COMMON_SURNAMES)} {trade}"
    else:
        base = f"{owner} {trade}" if rng.random() < 0.6 else f"{trade} {owner}"
    return f"{base} {form}", form


def company_domain(name: str, legal_form: str | None) -> str:
    base = name[: -len(legal_form)].strip() if legal_form and name.endswith(legal_form) else name
    return slug(base) + ".de"


def person_email(rng: random.Random, first: str, last: str, domain: str | None) -> str:
    """A plausible address; ``domain`` None means a private freemail address."""
    f, l = slug(first).replace("-", ""), slug(last).replace("-", "")
    if domain:
        local = rng.choice((f"{f}.{l}", f"{f[0]}.{l}", f"{l}", f"{f}"))
        return f"{local}@{domain}"
    local = rng.choice((f"{f}.{l}", f"{f}{l}", f"{f[0]}.{l}", f"{l}.{f}", f"{f}.{l}{rng.randint(1, 99)}"))
    return f"{local}@{rng.choice(PRIVATE_DOMAINS)}"


def vat_id(rng: random.Random) -> str:
    """A German USt-IdNr with a valid ISO 7064 Mod 11,10 check digit."""
    body = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(7))
    return "DE" + body + mod_11_10.calc_check_digit(body)


def tax_number(rng: random.Random, region: str) -> str:
    """A Steuernummer in the Land's usual notation (Bavaria 3/3/5, NRW 3/4/4, BW 5/5)."""
    digits = lambda n: "".join(str(rng.randint(0, 9)) for _ in range(n))  # noqa: E731
    if region == "koeln":
        return f"{rng.randint(201, 224)}/{digits(4)}/{digits(4)}"
    if region == "freiburg":
        return f"{rng.randint(10000, 99999)}/{digits(5)}"
    return f"{rng.randint(102, 199)}/{digits(3)}/{digits(5)}"
