"""HERO mapping: raw Customer -> row and drafts (persons, companies, contact persons, tombstones)."""

from __future__ import annotations

from crm_pipelines.demo.world import demo_worlds
from crm_pipelines.sources.hero import SOURCE
from crm_pipelines.sources.hero.demo import render_account
from crm_pipelines.sources.hero.mapping import contact_drafts, contact_row

PERSON = {"id": 4711, "nr": "10023", "type": "customer", "category": "customer", "title": "Frau",
          "title_custom": "Dr.", "first_name": "Eva", "last_name": "Muster", "company_name": None,
          "email": "eva@example.de", "phone_home": "089 123456", "phone_mobile": "0171 1234567",
          "phone_fax": None, "created": "2023-04-02T09:15:00+02:00", "modified": "2024-11-05T14:22:31+01:00",
          "is_deleted": False, "address": {"street": "Hauptstraße 1", "zipcode": "80331", "city": "München",
                                           "country": {"name": "Deutschland"}}}
COMPANY = {"id": 4712, "nr": 10024, "type": "commercial_customer", "category": "customer", "first_name": None,
           "last_name": None, "company_name": "Mustermann Bau GmbH", "email": "info@mustermann-bau.de",
           "phone_home": "+49 89 123456", "phone_fax": "+49 89 123499", "is_deleted": True, "address": None}


def test_row_has_the_typed_columns():
    row = contact_row(PERSON)
    assert row == {"source_id": "4711", "type": "customer", "category": "customer", "nr": "10023",
                   "name": "Eva Muster", "email": "eva@example.de", "city": "München", "is_deleted": False,
                   "modified": "2024-11-05T14:22:31+01:00"}
    assert contact_row(COMPANY)["name"] == "Mustermann Bau GmbH" and contact_row(COMPANY)["nr"] == "10024"
    assert {c.name for c in SOURCE.object("contacts").columns} == set(row) - {"source_id", "is_deleted"}
    assert contact_row(COMPANY)["is_deleted"] is True


def test_private_customer_is_one_person_draft():
    [draft] = contact_drafts("t1", PERSON)
    assert (draft.kind, draft.salutation, draft.title, draft.first_name, draft.last_name) == (
        "person", "Frau", "Dr.", "Eva", "Muster")
    assert draft.emails == [("personal", "eva@example.de")]
    assert draft.phones == [("home", "089 123456"), ("mobile", "0171 1234567")]
    assert (draft.street, draft.postal_code, draft.city, draft.country) == (
        "Hauptstraße 1", "80331", "München", "Deutschland")
    assert draft.customer_number == "10023" and draft.roles == ["customer"] and not draft.is_deleted
    assert draft.source == "hero" and draft.source_id == "4711" and draft.tenant_id == "t1"


def test_deleted_company_is_an_organization_tombstone():
    [draft] = contact_drafts("t1", COMPANY)
    assert draft.kind == "organization" and draft.company_name == "Mustermann Bau GmbH" and draft.is_deleted
    assert draft.phones == [("office", "+49 89 123456"), ("fax", "+49 89 123499")]
    assert draft.emails == [("work", "info@mustermann-bau.de")] and draft.street is None


def test_company_naming_a_person_gives_a_linked_contact_person():
    raw = {**COMPANY, "first_name": "Max", "last_name": "Mustermann", "title": "Herr", "is_deleted": False}
    org, person = contact_drafts("t1", raw)
    assert org.kind == "organization" and person.kind == "person"
    assert person.source_id == "4712#person" and person.parent_source_id == "4712"
    assert person.roles == ["contact_person"] and person.company_name == "Mustermann Bau GmbH"


def test_contact_person_and_supplier_roles():
    cp = {"id": 9, "type": "contact_person", "first_name": "Ina", "last_name": "Roth", "parent_customer_id": 4712,
          "email": "ina@bau.de", "company_name": "Bau GmbH"}
    [draft] = contact_drafts("t1", cp)
    assert draft.kind == "person" and draft.parent_source_id == "4712" and draft.roles == ["contact_person"]
    assert draft.emails == [("work", "ina@bau.de")]
    supplier = {"id": 10, "type": "supplier", "category": "supplier", "company_name": "Holz AG", "nr": "5001"}
    [draft] = contact_drafts("t1", supplier)
    assert draft.roles == ["supplier"] and draft.supplier_number == "5001" and draft.customer_number is None


def test_minimal_record_does_not_crash():
    [draft] = contact_drafts("t1", {"id": 1})
    assert draft.kind == "person" and draft.roles == ["customer"]


def test_demo_records_map_to_their_true_kind_and_tombstones():
    world = demo_worlds()["bau-mueller"]
    truth = {c.source_id: c for c in world.contacts["hero"]}
    for raw in render_account(world):
        drafts = contact_drafts("bau-mueller", raw)
        demo = truth[str(raw["id"])]
        assert len(drafts) == 1 and drafts[0].kind == demo.kind
        assert drafts[0].is_deleted == demo.is_deleted
    assert any(c.is_deleted for c in truth.values())
