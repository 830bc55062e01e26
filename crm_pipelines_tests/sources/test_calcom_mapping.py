"""Cal.com mapping (raw event type -> typed row) and the demo emulator built from the demo worlds."""

from __future__ import annotations

import json

from crm_pipelines.demo.world import demo_worlds
from crm_pipelines.sources.base import ConnectContext
from crm_pipelines.sources.calcom import SOURCE
from crm_pipelines.sources.calcom.mapping import event_type_row
from crm_pipelines_tests.sources.calcom_fixtures import make_event_types


def test_row_has_typed_columns_and_the_team_id():
    raw = make_event_types(42, 2)[1]
    raw["parentEventTypeId"] = 4100
    row = event_type_row(raw)
    assert row["source_id"] == "4202" and row["team_id"] == 42 and row["owner_id"] is None
    assert row["length_in_minutes"] == 30 and row["scheduling_type"] == "roundRobin"
    assert row["parent_event_type_id"] == 4100 and row["hidden"] is False and row["host_count"] == 2
    hosts = json.loads(row["hosts"])
    assert hosts[0]["userId"] == 421 and hosts[0]["priority"] == "medium"
    assert {c.name for c in SOURCE.object("event_types").columns} == set(row) - {"source_id"}


def test_legacy_shape_and_missing_fields():
    row = event_type_row({"id": 7, "length": 45, "title": "Alt", "ownerId": 3})
    assert row["length_in_minutes"] == 45 and row["owner_id"] == 3
    assert row["team_id"] is None and row["hidden"] is None and row["host_count"] == 0 and row["hosts"] == "[]"


def test_demo_emulator_serves_every_demo_team():
    worlds = demo_worlds()
    emulator = SOURCE.emulator()
    for tenant, world in worlds.items():
        if not world.calcom_team_id:
            continue
        connector = SOURCE.connect(ConnectContext(
            tenant, "http://calcom.emulator", SOURCE.demo_credentials(tenant),
            SOURCE.options_model(team_ids=[world.calcom_team_id]), transport=emulator.transport()))
        rows = [event_type_row(r) for r in connector.fetch("event_types", None).records]
        assert sorted(int(r["source_id"]) for r in rows) == sorted(e.event_type_id for e in world.event_types)
        assert {r["team_id"] for r in rows} == {world.calcom_team_id}
        by_id = {e.event_type_id: e for e in world.event_types}
        assert all(r["length_in_minutes"] == by_id[int(r["source_id"])].length_minutes for r in rows)
    assert emulator.limit_per_second == 2.0 and "120" in emulator.limit_description


def test_demo_mutations_work_per_tenant():
    emulator = SOURCE.emulator()
    other = {e["id"] for team, types in emulator.teams.items() if team != 4202 for e in types}
    touched = emulator.touch("agentur-weber", "event_types", 2)
    deleted = emulator.delete("agentur-weber", "event_types", 1)
    grown = emulator.grow("agentur-weber", "event_types", 3)
    ids = {str(e["id"]) for e in emulator.teams[4202]}
    assert len(touched) == 2 and set(deleted).isdisjoint(ids) and set(grown) <= ids
    assert {e["id"] for team, types in emulator.teams.items() if team != 4202 for e in types} == other
