"""Microsoft 365 mapping (Graph contact -> row, -> drafts) and the demo rendering."""

from __future__ import annotations

from crm_pipelines.demo.world import demo_worlds
from crm_pipelines.sources.ms365 import SOURCE, demo_credentials, mapping
from crm_pipelines.sources.ms365.demo import render_mailboxes
from crm_pipelines_tests.sources.ms365_fixtures import UPN_A, contact


def with_box(raw: dict) -> dict:
    return {**raw, "_mailbox": UPN_A, "_folder": "contacts"}


def test_row_keeps_the_mailbox():
    row = mapping.contact_row(with_box(contact("AB", 1)))
    assert row == {"source_id": "AAMkAGAB00001=", "mailbox": UPN_A, "folder": "contacts",
                   "display_name": "Max Muster1", "given_name": "Max", "surname": "Muster1", "company_name": None,
                   "email": "kontakt1@ab.de", "job_title": None, "last_modified": "2024-11-05T13:22:31Z",
                   "change_key": "EQAAAB00001"}


def test_person_draft():
    [draft] = mapping.contact_drafts("t1", with_box(contact("AB", 1)))
    assert (draft.kind, draft.first_name, draft.last_name, draft.company_name) == ("person", "Max", "Muster1", None)
    assert draft.emails == [("other", "kontakt1@ab.de")] and draft.phones == [("mobile", "+49 170 1234567")]
    assert draft.birthday == "1980-05-17T11:59:00Z" and draft.street is None and draft.roles == []


def test_company_only_contact_is_an_organization_with_roles_from_categories():
    [draft] = mapping.contact_drafts("t1", with_box(contact("AB", 3)))
    assert (draft.kind, draft.company_name, draft.roles) == ("organization", "Bau 3 GmbH", ["customer"])
    assert draft.emails == [("work", "kontakt3@ab.de")] and draft.phones == [("office", "+49 89 123456")]
    assert (draft.street, draft.postal_code, draft.city, draft.country) == (
        "Hauptstraße 1", "80331", "München", "Deutschland")


def test_person_at_a_company_and_a_display_name_only_contact():
    raw = {"id": "X1", "givenName": "Eva", "surname": "Roth", "companyName": "Roth GmbH", "jobTitle": "GF",
           "title": "Dr.", "businessPhones": [], "homePhones": ["089 1"], "categories": ["Lieferant", "Privat"],
           "homeAddress": {"street": "Weg 2", "city": "Ulm"}, "businessAddress": {}}
    [draft] = mapping.contact_drafts("t1", raw)
    assert (draft.kind, draft.title, draft.company_name, draft.job_title) == ("person", "Dr.", "Roth GmbH", "GF")
    assert draft.roles == ["supplier"] and draft.phones == [("home", "089 1")] and draft.street == "Weg 2"
    [only] = mapping.contact_drafts("t1", {"id": "X2", "displayName": "Hausmeister Krause"})
    assert only.kind is None and only.full_name == "Hausmeister Krause"


def test_demo_rendering_matches_the_world():
    world = demo_worlds()["bau-mueller"]
    boxes = render_mailboxes(world)
    assert {upn: len(f["contacts"]) for upn, f in boxes.items()} == {
        "info@bau-mueller.de": 240, "buero@bau-mueller.de": 250, "m.mueller@bau-mueller.de": 230}
    truth = {c.source_id: c for c in world.contacts["ms365"]}
    spec = SOURCE.object("contacts")
    for upn, folders in boxes.items():
        for raw in folders["contacts"]:
            [draft] = spec.to_drafts("bau-mueller", {**raw, "_mailbox": upn, "_folder": "contacts"})
            c = truth[draft.source_id]
            assert c.container == upn and [v for _, v in draft.emails] == [v for _, v in c.emails]
            if c.kind == "organization":
                assert draft.kind == "organization" and draft.company_name == c.company_name
            elif c.first_name or c.last_name:
                assert (draft.first_name, draft.last_name) == (c.first_name, c.last_name)
            assert sorted(v for _, v in draft.phones) == sorted(v for k, v in c.phones if k != "fax")


def test_demo_credentials_are_distinct_per_tenant():
    a, b = demo_credentials("bau-mueller"), demo_credentials("agentur-weber")
    assert a["tenant_id"] != b["tenant_id"] and a["client_secret"] != b["client_secret"]
