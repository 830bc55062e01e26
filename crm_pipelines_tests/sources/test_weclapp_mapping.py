"""weclapp mapping (raw -> row, raw -> drafts) and the demo rendering."""

from __future__ import annotations

from crm_pipelines.demo.world import demo_worlds
from crm_pipelines.sources.weclapp import SOURCE, mapping
from crm_pipelines.sources.weclapp.demo import render_account
from crm_pipelines_tests.sources.weclapp_fixtures import make_parties, make_tasks, make_users


def test_organization_row_and_draft():
    org = make_parties(1)[0]
    assert mapping.contact_row(org) == {
        "source_id": "1000", "party_type": "ORGANIZATION", "name": "Firma 0000 GmbH", "customer": True,
        "supplier": False, "customer_number": "K-10000", "supplier_number": None, "email": "info@firma0.de",
        "parent_party_id": None, "last_modified": 1_730_000_000_000, "version": "0"}
    [draft] = mapping.contact_drafts("t1", org)
    assert (draft.kind, draft.company_name, draft.roles, draft.customer_number) == (
        "organization", "Firma 0000 GmbH", ["customer"], "K-10000")
    assert draft.emails == [("work", "info@firma0.de")] and draft.phones == [("office", "+49 89 123456")]
    assert (draft.street, draft.postal_code, draft.city, draft.country) == ("Hauptstraße 1", "80331", "München", "DE")
    assert draft.vat_id == "DE136695976" and draft.source_modified_at == "2024-10-27T03:33:20+00:00"


def test_contact_person_points_at_its_organization():
    person = make_parties(2)[1]
    [draft] = mapping.contact_drafts("t1", person)
    assert (draft.kind, draft.salutation, draft.first_name, draft.last_name) == ("person", "MRS", "Eva", "Muster1")
    assert draft.parent_source_id == "1000" and draft.roles == ["contact_person"]
    assert draft.emails == [("work", "eva1@firma0.de")]


def test_private_person_birthday_is_the_berlin_date():
    person = make_parties(3)[2]
    [draft] = mapping.contact_drafts("t1", person)
    assert draft.birthday == "1980-05-17"  # 327366000000 ms = 1980-05-16T23:00Z = Berlin midnight
    assert draft.phones == [("mobile", "0171 1000002")] and draft.roles == ["customer"]
    assert draft.supplier_number == "L-2" and draft.parent_source_id is None


def test_nulls_left_out_are_tolerated():
    [draft] = mapping.contact_drafts("t1", {"id": "7", "partyType": "PERSON", "lastName": "Nur"})
    assert draft.kind == "person" and draft.emails == [] and draft.street is None
    assert mapping.contact_row({"id": 7})["name"] is None


def test_task_and_user_rows():
    task = make_tasks(1)[0]
    assert mapping.task_row(task) == {
        "source_id": "9000", "subject": "Aufgabe 0", "task_status": "IN_PROGRESS", "task_priority": "HIGH",
        "customer_id": "1000", "assignee_user_ids": ["12"], "date_from": 1_730_086_400_000, "date_to": None,
        "last_modified": 1_730_000_000_000}
    user = make_users(1)[0]
    assert mapping.user_row(user) == {"source_id": "10", "first_name": "Anna", "last_name": "Team0",
                                      "email": "anna0@firma.de", "status": "ACTIVE", "last_modified": 1_730_000_000_000}


def test_demo_rendering_round_trips_the_world():
    world = demo_worlds()["bau-mueller"]
    account = render_account(world)
    assert len(account["party"]) == len(world.contacts["weclapp"]) == 150
    assert len(account["task"]) == len(world.tasks) and len(account["user"]) == len(world.users)
    by_id = {c.source_id: c for c in world.contacts["weclapp"]}
    spec = SOURCE.object("contacts")
    for raw in account["party"]:
        [draft] = spec.to_drafts("bau-mueller", raw)
        truth = by_id[draft.source_id]
        assert draft.kind == truth.kind and draft.parent_source_id == truth.parent_source_id
        assert sorted(draft.roles) == sorted(truth.roles)
        assert [v for _, v in draft.emails] == [v for _, v in truth.emails]
        assert draft.birthday == truth.birthday
        if truth.kind == "organization":
            assert draft.company_name == truth.company_name
        else:
            assert (draft.first_name, draft.last_name) == (truth.first_name, truth.last_name)
