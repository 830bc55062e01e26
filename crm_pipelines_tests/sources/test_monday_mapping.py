"""monday.com mapping: column values (typed, text, JSON in JSON) through the board's column map."""

from __future__ import annotations

import json

import pytest

from crm_pipelines.demo.world import demo_worlds
from crm_pipelines.sources.monday import SOURCE
from crm_pipelines.sources.monday.demo import board_options, render_account
from crm_pipelines.sources.monday.emu_schema import render_item
from crm_pipelines.sources.monday.mapping import column_text, contact_drafts, contact_row
from crm_pipelines.sources.monday.options import MondayOptions

CRM = {"board_id": "1843502268", "role": "subcontractor", "item_name": "auto",
       "columns": {"email": "email", "phone": "phone", "phone_1": "mobile", "text4": "company", "text_1": "street",
                   "text_2": "postal_code", "text_3": "city"}}
ITEM = {"id": "1234567890", "name": "Max Mustermann", "state": "active", "created_at": "2025-01-02T08:00:00Z",
        "updated_at": "2025-01-10T08:00:00Z", "group": {"id": "topics", "title": "Aktiv"}, "board": {"id": "1843502268"},
        "column_values": [
            {"id": "email", "type": "email", "text": "max@mustermann.de", "email": "max@mustermann.de",
             "value": json.dumps({"email": "max@mustermann.de", "text": "max@mustermann.de"})},
            {"id": "phone", "type": "phone", "text": "", "value": None, "phone": None},
            {"id": "phone_1", "type": "phone", "text": "+4917012345678", "phone": "+4917012345678",
             "value": json.dumps({"phone": "+4917012345678", "countryShortName": "DE"})},
            {"id": "text4", "type": "text", "text": "", "value": json.dumps("Mustermann Elektro")},
            {"id": "text_1", "type": "text", "text": "Hauptstr. 5a", "value": json.dumps("Hauptstr. 5a")},
            {"id": "text_3", "type": "text", "text": "Freiburg", "value": json.dumps("Freiburg")},
            {"id": "status", "type": "status", "text": "Elektro", "value": json.dumps({"index": 1})}],
        "_crm": CRM}


def test_column_text_reads_typed_text_and_json_in_json():
    assert column_text({"email": "a@b.de", "text": "x"}) == "a@b.de"
    assert column_text({"text": " Freiburg "}) == "Freiburg"
    assert column_text({"text": "", "value": json.dumps("Mustermann Elektro")}) == "Mustermann Elektro"
    assert column_text({"text": None, "value": json.dumps({"phone": "+49 761 1", "countryShortName": "DE"})}) == "+49 761 1"
    assert column_text({"text": "", "value": None}) is None and column_text({"value": "{broken"}) is None


def test_row():
    row = contact_row(ITEM)
    assert row == {"source_id": "1234567890", "board_id": "1843502268", "role": "subcontractor",
                   "name": "Max Mustermann", "email": "max@mustermann.de", "phone": "+4917012345678",
                   "group_title": "Aktiv", "item_updated_at": "2025-01-10T08:00:00Z"}
    assert {c.name for c in SOURCE.object("contacts").columns} == set(row) - {"source_id"}


def test_subcontractor_item_with_auto_name():
    [draft] = contact_drafts("t1", ITEM)
    assert draft.kind is None and draft.full_name == "Max Mustermann" and draft.company_name == "Mustermann Elektro"
    assert draft.emails == [("work", "max@mustermann.de")] and draft.phones == [("mobile", "+4917012345678")]
    assert (draft.street, draft.postal_code, draft.city) == ("Hauptstr. 5a", None, "Freiburg")
    assert draft.roles == ["subcontractor"] and draft.source_id == "1234567890" and not draft.is_deleted


def test_item_name_modes_and_roles():
    supplier = {**ITEM, "name": "Holz AG", "_crm": {**CRM, "role": "supplier", "item_name": "company"}}
    [draft] = contact_drafts("t1", supplier)
    assert draft.kind == "organization" and draft.company_name == "Holz AG" and draft.full_name is None
    customer = {**ITEM, "_crm": {**CRM, "role": "customer", "item_name": "full_name"}}
    [draft] = contact_drafts("t1", customer)
    assert draft.kind == "person" and draft.emails == [("personal", "max@mustermann.de")]
    employee = {**ITEM, "_crm": {**CRM, "role": "employee", "item_name": "auto"}}
    assert contact_drafts("t1", employee)[0].kind == "person"


def test_unmapped_columns_are_ignored_and_archived_items_are_tombstones():
    bare = {**ITEM, "state": "archived", "_crm": {**CRM, "columns": {}}}
    [draft] = contact_drafts("t1", bare)
    assert draft.emails == [] and draft.phones == [] and draft.is_deleted


def test_options_reject_unknown_canonical_fields():
    with pytest.raises(ValueError, match="unknown canonical field"):
        MondayOptions(boards=[{"board_id": "1", "role": "customer", "columns": {"x": "e_mail"}}])


def test_demo_items_map_to_their_board_roles():
    world = demo_worlds()["bau-mueller"]
    truth = {c.source_id: c for c in world.contacts["monday"]}
    boards = {b["board_id"]: b for b in board_options("bau-mueller")}
    MondayOptions(boards=list(boards.values()))
    for board_id, board in render_account(world).items():
        for item in board["items"]:
            raw = {**render_item(item, board, {}), "_crm": {**boards[board_id], "board_id": board_id}}
            [draft] = contact_drafts("bau-mueller", raw)
            demo = truth[item["id"]]
            assert draft.roles == demo.roles
            if demo.emails:
                assert draft.emails[0][1] == demo.emails[0][1]
            if board["role"] == "supplier":
                assert draft.kind == "organization" and draft.company_name == demo.company_name
            if board["role"] == "employee":
                assert draft.kind == "person"
