"""Booking app database on SQLite and PostgreSQL: schema, tenant filter, read-only, defects, errors."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from crm_pipelines.demo.world import demo_worlds
from crm_pipelines.sources._http import SourceError
from crm_pipelines.sources.booking_db import SOURCE
from crm_pipelines.sources.booking_db.emulator import build_booking_database
from crm_pipelines_tests.sources.booking_db_fixtures import connect

OBJECTS = ("companies", "services", "mappings")


def _fetch(url: str, company_ids: list[int], **options) -> dict[str, list[dict]]:
    connector = connect(url, company_ids, **options)
    try:
        return {name: [SOURCE.object(name).to_row(r) for r in connector.fetch(name, None).records]
                for name in OBJECTS}
    finally:
        connector.close()


def test_emulator_creates_the_apps_schema(booking_db, booking_url):
    engine = sa.create_engine(booking_url)
    inspector = sa.inspect(engine)
    assert {"companies", "services", "mappings"} <= set(inspector.get_table_names())
    columns = {c["name"]: c for c in inspector.get_columns("mappings")}
    assert list(columns) == ["mapping_id", "company_id", "service_id", "calcom_event_type_id", "calcom_team_id"]
    assert columns["calcom_team_id"]["nullable"] is True  # the NOT NULL fix was never built
    assert [c["name"] for c in inspector.get_columns("services")] == [
        "service_id", "company_id", "name", "calcom_event_type_id", "sync_status", "last_calcom_sync", "sync_error"]
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # CHECK on sync_status
        conn.execute(sa.text("UPDATE services SET sync_status = 'broken' WHERE service_id = 101"))
    engine.dispose()


def test_reads_exactly_the_tenants_companies(booking_db, booking_url):
    worlds = demo_worlds()
    for tenant, world in worlds.items():
        ids = booking_db.company_ids[tenant]
        rows = _fetch(booking_url, ids)
        assert all(r["company_id"] in ids for name in OBJECTS for r in rows[name])
        assert [r["company_id"] for r in rows["companies"]] == [c.company_id for c in world.companies]
        assert [r["service_id"] for r in rows["services"]] == sorted(s.service_id for s in world.services)
        assert [r["mapping_id"] for r in rows["mappings"]] == sorted(m.mapping_id for m in world.mappings)
    both = _fetch(booking_url, [1, 3])
    assert {r["company_id"] for r in both["services"]} == {1, 3}


def test_defects_survive_the_round_trip(booking_db, booking_url):
    world = demo_worlds()["agentur-weber"]
    rows = _fetch(booking_url, booking_db.company_ids["agentur-weber"])
    mappings = {r["mapping_id"]: r for r in rows["mappings"]}
    bau_team = demo_worlds()["bau-mueller"].calcom_team_id
    assert [mappings[i]["calcom_team_id"] for i in world.defects.cross_tenant_mapping_ids] == [bau_team]
    assert [mappings[i]["calcom_team_id"] for i in world.defects.null_team_mapping_ids] == [None]
    statuses = [r["sync_status"] for r in rows["services"] if r["calcom_event_type_id"] is not None]
    assert statuses.count("never") == 16 and statuses.count("pending") == 1
    assert sorted(r["service_id"] for r in rows["services"]
                  if r["calcom_event_type_id"] is not None and r["sync_status"] != "synced") == \
        world.defects.unsynced_service_ids


def test_values_are_typed_and_timestamps_iso_utc(booking_db, booking_url):
    world = demo_worlds()["bau-mueller"]
    connector = connect(booking_url, [1])
    records = connector.fetch("services", None).records
    connector.close()
    expected = {s.service_id: s.last_calcom_sync for s in world.services}
    for record in records:
        assert isinstance(record["service_id"], int) and isinstance(record["company_id"], int)
        stamp = record["last_calcom_sync"]
        if expected[record["service_id"]] is None:
            assert stamp is None
        else:
            assert stamp.endswith("+00:00")
            assert dt.datetime.fromisoformat(stamp) == dt.datetime.fromisoformat(expected[record["service_id"]])


def test_connection_is_read_only(booking_db, booking_url):
    connector = connect(booking_url, [2])
    with pytest.raises(sa.exc.DBAPIError) as info, connector.engine.begin() as conn:
        conn.execute(sa.text("UPDATE mappings SET calcom_team_id = 4202"))
    assert "read" in str(info.value).lower()  # "readonly database" / "read-only transaction"
    connector.close()
    rows = _fetch(booking_url, [2])
    assert {r["calcom_team_id"] for r in rows["mappings"]} == {4202, 4101, None}


def test_configurable_table_names(booking_url):
    tables = {"companies": "bk_companies", "services": "bk_services", "mappings": "event_type_mapping"}
    build_booking_database(booking_url, demo_worlds(), tables)
    rows = _fetch(booking_url, [3], tables=tables)
    assert len(rows["companies"]) == 1 and len(rows["services"]) == 6 and len(rows["mappings"]) == 6


def test_missing_table_is_a_clear_error_and_not_retried(booking_db, booking_url):
    connector = connect(booking_url, [1], tables={"services": "dienstleistungen"})
    with pytest.raises(SourceError) as info:
        connector.fetch("services", None)
    assert info.value.endpoint == "SELECT dienstleistungen" and info.value.status is None
    assert "dienstleistungen" in info.value.detail and connector.queries == 1


def test_mutations_change_exactly_what_they_say(booking_db, booking_url):
    before = _fetch(booking_url, [2])
    touched = booking_db.touch("agentur-weber", "services", 3)
    fixed = booking_db.touch("agentur-weber", "mappings", 5)
    deleted = booking_db.delete("agentur-weber", "mappings", 1)
    grown = booking_db.grow("agentur-weber", "services", 2)
    after = _fetch(booking_url, [2])
    old = {r["source_id"]: r for r in before["services"]}
    changed = {r["source_id"] for r in after["services"] if r["source_id"] in old and r != old[r["source_id"]]}
    assert changed == set(touched) and len(touched) == 3
    assert set(grown) == {r["source_id"] for r in after["services"]} - set(old) and len(grown) == 2
    assert len(fixed) == 2  # the NULL and the foreign team id: the incident's manual fix
    assert {r["calcom_team_id"] for r in after["mappings"]} == {4202}
    assert deleted == ["2001"] and "2001" not in {r["source_id"] for r in after["mappings"]}
    assert _fetch(booking_url, [1]) == _fetch(booking_url, [1])  # other tenants untouched
    assert len(_fetch(booking_url, [1])["services"]) == 19
