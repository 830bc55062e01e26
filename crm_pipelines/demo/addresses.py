"""German addresses and phone numbers: real-looking PLZ per city, area codes, E.164 numbers."""

from __future__ import annotations

import random

# city -> (postal codes of that city, area code without the leading 0)
CITIES: dict[str, tuple[tuple[str, ...], str]] = {
    "München": (("80331", "80335", "80469", "80637", "80796", "81369", "81541", "81675"), "89"),
    "Augsburg": (("86150", "86152", "86159", "86161"), "821"),
    "Dachau": (("85221",), "8131"),
    "Freising": (("85354", "85356"), "8161"),
    "Erding": (("85435",), "8122"),
    "Fürstenfeldbruck": (("82256",), "8141"),
    "Starnberg": (("82319",), "8151"),
    "Rosenheim": (("83022", "83024", "83026"), "8031"),
    "Landshut": (("84028", "84034", "84036"), "871"),
    "Ingolstadt": (("85049", "85051", "85055"), "841"),
    "Pfaffenhofen a. d. Ilm": (("85276",), "8441"),
    "Garching b. München": (("85748",), "89"),
    "Unterschleißheim": (("85716",), "89"),
    "Nürnberg": (("90402", "90408", "90429", "90461"), "911"),
    "Regensburg": (("93047", "93053", "93055"), "941"),
    "Köln": (("50667", "50672", "50823", "50933", "51103"), "221"),
    "Düsseldorf": (("40210", "40212", "40477", "40545"), "211"),
    "Bonn": (("53111", "53113", "53173"), "228"),
    "Leverkusen": (("51373", "51379"), "214"),
    "Bergisch Gladbach": (("51465", "51469"), "2202"),
    "Neuss": (("41460", "41462"), "2131"),
    "Essen": (("45127", "45130"), "201"),
    "Dortmund": (("44135", "44137"), "231"),
    "Freiburg im Breisgau": (("79098", "79102", "79104", "79106", "79110"), "761"),
    "Emmendingen": (("79312",), "7641"),
    "Lörrach": (("79539",), "7621"),
    "Offenburg": (("77652", "77654"), "781"),
    "Berlin": (("10115", "10437", "10827", "12043", "13353"), "30"),
    "Hamburg": (("20095", "20259", "22767"), "40"),
    "Frankfurt am Main": (("60311", "60316", "60487"), "69"),
    "Stuttgart": (("70173", "70178", "70469"), "711"),
    "Leipzig": (("04109", "04177"), "341"),
    "Hannover": (("30159", "30161"), "511"),
}

REGIONS: dict[str, tuple[str, ...]] = {
    "muenchen": ("München", "München", "München", "Augsburg", "Dachau", "Freising", "Erding",
                 "Fürstenfeldbruck", "Starnberg", "Rosenheim", "Landshut", "Ingolstadt",
                 "Pfaffenhofen a. d. Ilm", "Garching b. München", "Unterschleißheim"),
    "koeln": ("Köln", "Köln", "Köln", "Düsseldorf", "Bonn", "Leverkusen", "Bergisch Gladbach",
              "Neuss", "Essen", "Dortmund"),
    "freiburg": ("Freiburg im Breisgau", "Freiburg im Breisgau", "Freiburg im Breisgau",
                 "Emmendingen", "Lörrach", "Offenburg"),
}
NATIONAL = ("Berlin", "Hamburg", "Frankfurt am Main", "Stuttgart", "Leipzig", "Hannover", "Nürnberg",
            "Regensburg")

STREETS = (
    "Hauptstraße", "Bahnhofstraße", "Schulstraße", "Gartenstraße", "Dorfstraße", "Lindenstraße",
    "Kirchstraße", "Bergstraße", "Waldstraße", "Ringstraße", "Goethestraße", "Schillerstraße",
    "Mozartstraße", "Rosenheimer Straße", "Leopoldstraße", "Müllerstraße", "Weißenburger Straße",
    "Schönfeldstraße", "Tegernseer Landstraße", "Fraunhoferstraße", "Lerchenfeldstraße",
    "Birkenweg", "Am Anger", "Lindenallee", "Marktplatz", "Am Mühlbach", "Industriestraße",
    "Gewerbestraße", "Friedrichstraße", "Königsallee", "Aachener Straße", "Venloer Straße",
    "Kaiserstraße", "Talstraße", "Wiesenweg", "Feldstraße", "Jägerstraße", "Rheinstraße",
    "Händelstraße", "Mühlenweg", "Bürgermeister-Schmid-Straße", "Im Gewerbepark",
)

MOBILE_PREFIXES = ("151", "152", "157", "160", "162", "170", "171", "172", "173", "175", "176", "177", "178",
                   "179", "1520", "1577")


def pick_city(rng: random.Random, region: str) -> tuple[str, str]:
    """(city, postal code): mostly from the tenant's region, sometimes from elsewhere in Germany."""
    city = rng.choice(REGIONS[region]) if rng.random() < 0.88 else rng.choice(NATIONAL)
    return city, rng.choice(CITIES[city][0])


def house_number(rng: random.Random) -> str:
    number = str(rng.choice((rng.randint(1, 40), rng.randint(1, 40), rng.randint(1, 180))))
    roll = rng.random()
    if roll < 0.12:
        return number + rng.choice("abc")
    if roll < 0.15:
        return f"{number}-{int(number) + 2}"
    return number


def landline(rng: random.Random, city: str) -> str:
    """E.164 landline in the city's area code, e.g. ``+498912345678``."""
    area = CITIES[city][1]
    subscriber_len = 10 - len(area) + rng.choice((0, 0, 1))
    first = str(rng.randint(2, 9))
    return "+49" + area + first + "".join(str(rng.randint(0, 9)) for _ in range(subscriber_len - 1))


def mobile(rng: random.Random) -> str:
    """E.164 German mobile number, e.g. ``+491712345678``."""
    prefix = rng.choice(MOBILE_PREFIXES)
    length = 11 - len(prefix) if prefix.startswith("15") else 10 - len(prefix) + rng.choice((0, 1))
    return "+49" + prefix + "".join(str(rng.randint(0, 9)) for _ in range(length))


def area_split(e164: str) -> tuple[str, str]:
    """Split an E.164 German number into (area code or mobile prefix, subscriber part)."""
    national = e164[3:]
    for prefix in sorted(MOBILE_PREFIXES, key=len, reverse=True):
        if national.startswith(prefix):
            return prefix, national[len(prefix):]
    for _, (_, area) in sorted(CITIES.items(), key=lambda item: -len(item[1][1])):
        if national.startswith(area):
            return area, national[len(area):]
    return national[:3], national[3:]
