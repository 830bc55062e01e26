"""Normalizers: umlauts, titles, legal forms, E.164, ids, dates, invalid values flagged, rejects."""

import json

from crm_pipelines.core.canonical import CANONICAL_COLUMNS, normalize_drafts
from crm_pipelines.core.draft import ContactDraft
from crm_pipelines.core.normalize import address, dates, emails, ids, legal_forms, names, phones
from crm_pipelines.core.normalize.phonetic import cologne
from crm_pipelines.core.normalize.transliterate import fold_key


def test_umlauts_expand_before_ascii_folding():
    assert fold_key("Müller-Lüdenscheidt") == "mueller luedenscheidt"
    assert fold_key("Straße") == "strasse"
    assert fold_key("Müller") == fold_key("Mueller")
    assert cologne("Müller") == cologne("Mueller")


def test_salutations_titles_and_full_names():
    assert names.normalize_salutation("Hr.") == "Herr"
    assert names.normalize_salutation("MRS") == "Frau"
    assert names.normalize_salutation("Divers") is None
    first, last, sal, title = names.split_full_name("Herr Prof. Dr. Hans-Peter Müller")
    assert (first, last, sal, title) == ("Hans-Peter", "Müller", "Herr", "Prof. Dr.")
    assert names.split_full_name("Müller, Anna")[:2] == ("Anna", "Müller")
    assert names.strip_name_prefixes("Dipl.-Ing. Klaus")[0] == "Klaus"


def test_legal_forms():
    assert legal_forms.split_legal_form("Muster Bau GmbH & Co. KG") == ("Muster Bau", "GmbH & Co. KG")
    assert legal_forms.split_legal_form("Schmidt UG (haftungsbeschränkt)") == ("Schmidt", "UG (haftungsbeschränkt)")
    assert legal_forms.split_legal_form("Meier e.K.") == ("Meier", "e.K.")
    assert legal_forms.split_legal_form("Beta GbR")[1] == "GbR"
    assert legal_forms.split_legal_form("Haus Saal") == ("Haus Saal", None)


def test_phones_emails_ids_dates_address():
    assert phones.normalize_phone("0171 1234567") == ("+491711234567", True)
    assert phones.normalize_phone("+49 (171) 123-4567") == ("+491711234567", True)
    assert phones.normalize_phone("0049 171 1234567") == ("+491711234567", True)
    assert phones.normalize_phone("call me")[1] is False
    assert emails.normalize_email("Hans.Mueller@Example.DE") == ("hans.mueller@example.de", True)
    assert emails.normalize_email("hans@") == ("hans@", False)
    assert ids.normalize_vat_id("DE 136 695 976") == ("DE136695976", True)
    assert ids.normalize_vat_id("DE136695977")[1] is False
    assert ids.normalize_trade_register("Amtsgericht München HRB 12345") == ("HRB 12345", True)
    for raw in ("1980-05-17", "1980-05-17T00:00:00Z", "17.05.1980", "19800517"):
        assert dates.parse_date(raw) == "1980-05-17"
    assert dates.parse_date("31.02.1980") is None
    assert address.split_street("Hauptstr. 5a", None) == ("Hauptstraße", "5a")
    assert address.street_key("Hauptstrasse") == address.street_key("Hauptstr.")
    assert address.normalize_country("Deutschland") == ("DE", True)
    assert address.normalize_postal_code("1067", "DE") == ("01067", True)


def test_normalize_drafts_flags_invalid_values_and_rejects_empty_records():
    drafts = [
        ContactDraft("t", "hero", "1", first_name="Hans", last_name="MÜLLER", emails=[("work", "bad@"), ("work", "H@X.de")],
                     phones=[("mobile", "nonsense")], vat_id="DE123", birthday="99.99.1999"),
        ContactDraft("t", "ms365", "2", full_name="Muster Bau GmbH"),
        ContactDraft("t", "monday", "3", city="Berlin"),
    ]
    res = normalize_drafts(drafts)
    assert list(res.contacts.columns) == CANONICAL_COLUMNS
    person = res.contacts.iloc[0]
    assert person["last_name"] == "Müller" and person["last_key"] == "mueller"
    flags = json.loads(person["quality_flags"])
    assert {"invalid_email", "invalid_phone", "invalid_vat_id", "invalid_birthday"} <= set(flags)
    assert [e["value"] for e in json.loads(person["emails"])] == ["bad@", "h@x.de"]
    assert person["email_keys"] == "h@x.de" and person["vat_id"] == "DE123"
    org = res.contacts.iloc[1]
    assert (org["kind"], org["company_name"], org["legal_form"]) == ("organization", "Muster Bau", "GmbH")
    assert list(res.rejects["reason"]) == ["no_match_attributes"]


def test_incremental_skips_unchanged():
    drafts = [ContactDraft("t", "hero", str(k), first_name="A", last_name=f"N{k}") for k in range(5)]
    first = normalize_drafts(drafts)
    prev = {(r.source, r.source_id): r.content_hash for r in first.contacts.itertuples()}
    drafts[2].last_name = "Changed"
    again = normalize_drafts(drafts, prev)
    assert again.skipped_unchanged == 4 and list(again.contacts["source_id"]) == ["2"]
