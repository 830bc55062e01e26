"""Team-ID and sync-status invariants on crafted rows: each fails on its violation, passes without."""

from __future__ import annotations

import datetime as dt

from crm_pipelines.quality.invariants import (BookingSnapshot, check_sync_status, check_team_ids, is_contamination,
                                              load_booking, status_counts)
from crm_pipelines.quality.sync_health import health_rows
from crm_pipelines_tests.quality.booking_rows import booking_world, insert, make_warehouse


def test_clean_tenant_passes(tmp_path):
    engine = make_warehouse(tmp_path)
    booking_world(engine)
    with engine.connect() as conn:
        assert check_team_ids(conn, "t1") == []
        assert check_sync_status(conn, "t1") == []
        assert status_counts(load_booking(conn, "t1")) == {"never": 1, "synced": 3}


def test_null_and_foreign_team_are_named(tmp_path):
    engine = make_warehouse(tmp_path)
    booking_world(engine, null_team_mapping=True, foreign_team=99)
    with engine.connect() as conn:
        violations = check_team_ids(conn, "t1")
    assert [(v["mapping_id"], v["kinds"]) for v in violations] == [("1001", ["null_team"]),
                                                                    ("1002", ["team_mismatch"])]
    foreign = violations[1]
    assert (foreign["expected_team"], foreign["actual_team"], foreign["calcom_team"]) == ("41", "99", "41")
    assert foreign["company"] == "Firma 1 (1)" and foreign["service"] == "Leistung 2 (102)"
    assert foreign["event_type"] == "Termin 2 (4102)"
    assert is_contamination(foreign) and not is_contamination(violations[0])


def test_event_type_of_another_team_or_unknown_to_calcom(tmp_path):
    engine = make_warehouse(tmp_path)
    booking_world(engine)
    insert(engine, "raw_booking_db_mappings", "t1",
           [{"source_id": 1009, "mapping_id": 1009, "company_id": 1, "service_id": 109,
             "calcom_event_type_id": 7701, "calcom_team_id": 41}])
    insert(engine, "raw_calcom_event_types", "t1", [{"source_id": 7701, "team_id": 77, "title": "Fremd"}])
    with engine.connect() as conn:
        kinds = [v["kinds"] for v in check_team_ids(conn, "t1")]
    assert kinds == [["event_type_other_team"]]


def test_tenants_never_mix(tmp_path):
    engine = make_warehouse(tmp_path)
    booking_world(engine, "t1", company_id=1, team=41)
    booking_world(engine, "t2", company_id=2, team=42, foreign_team=41, unsynced=(1,))
    with engine.connect() as conn:
        assert check_team_ids(conn, "t1") == [] and check_sync_status(conn, "t1") == []
        assert len(check_team_ids(conn, "t2")) == 1 and len(check_sync_status(conn, "t2")) == 1


def test_sync_status_flags_unsynced_and_vanished_event_types(tmp_path):
    engine = make_warehouse(tmp_path)
    booking_world(engine, unsynced=(1, 2))
    insert(engine, "raw_booking_db_services", "t1",
           [{"source_id": 150, "service_id": 150, "company_id": 1, "name": "Alt", "calcom_event_type_id": 4199,
             "sync_status": "synced"}])
    with engine.connect() as conn:
        violations = check_sync_status(conn, "t1")
        counts = status_counts(load_booking(conn, "t1"))
    assert [v["service_id"] for v in violations] == ["101", "102", "150"]
    assert "sync_status is never" in violations[0]["problem"]
    assert "no longer lists event type 4199" in violations[2]["problem"]
    assert counts == {"never": 3, "synced": 2}


def test_without_calcom_rows_the_calcom_rules_are_skipped():
    snap = BookingSnapshot(companies=[{"company_id": 1, "calcom_team_id": 41}],
                           services=[{"service_id": 1, "calcom_event_type_id": 5, "sync_status": "synced"}],
                           mappings=[{"mapping_id": 1, "company_id": 1, "service_id": 1, "calcom_event_type_id": 5,
                                      "calcom_team_id": 41}], event_types=None)
    from crm_pipelines.quality.invariants import sync_status_violations, team_id_violations
    assert team_id_violations(snap) == [] and sync_status_violations(snap) == []


def test_health_rows_mark_the_broken_services(tmp_path):
    engine = make_warehouse(tmp_path)
    booking_world(engine, foreign_team=99, unsynced=(3,))
    with engine.connect() as conn:
        rows = health_rows("t1", load_booking(conn, "t1"), dt.datetime.now(dt.timezone.utc))
    assert [(r["service_id"], r["healthy"]) for r in rows] == [("101", True), ("102", False), ("103", False),
                                                                ("109", True)]
    assert rows[1]["mapping_team_id"] == "99" and rows[1]["company_team_id"] == "41"
