"""Booking database: connection errors (redacted, retried), the demo database, and row mapping."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crm_pipelines import settings
from crm_pipelines.sources._http import SourceError
from crm_pipelines.sources.booking_db import SOURCE
from crm_pipelines.sources.booking_db.mapping import mapping_row, service_row
from crm_pipelines_tests.sources.booking_db_fixtures import connect

SECRET = "S3cr3t-Pa55word"


def test_unreachable_database_is_a_clear_error_without_the_password():
    sleeps: list[float] = []
    connector = connect(f"postgresql+psycopg2://booker:{SECRET}@127.0.0.1:1/booking", [1], tenant="agentur-weber",
                        sleeps=sleeps, max_attempts=3, connect_timeout_seconds=2)
    with pytest.raises(SourceError) as info:
        connector.fetch("services", None)
    message = str(info.value)
    assert SECRET not in message and SECRET not in repr(info.value.detail)
    assert "booking_db" in message and "agentur-weber" in message and "SELECT services" in message
    assert "no response" in message and info.value.status is None
    assert "booker:***@127.0.0.1:1/booking" in message and "OperationalError" in message
    assert connector.queries == 3 and len(sleeps) == 2  # retried with backoff, then given up


def test_missing_sqlite_file_is_an_error_and_not_created(tmp_path):
    path = tmp_path / "nope.sqlite"
    with pytest.raises(SourceError) as info:
        connect(f"sqlite:///{path}", [1], max_attempts=2).fetch("companies", None)
    assert "unable to open database file" in str(info.value) and not path.exists()


def test_a_dropped_connection_is_retried(monkeypatch):
    db = SOURCE.emulator()
    connector = connect(db.url, [3])
    real_connect, calls = connector.engine.connect, []

    def flaky_connect():
        calls.append(1)
        if len(calls) == 1:
            raise sa.exc.OperationalError("SELECT", {}, Exception("server closed the connection unexpectedly"))
        return real_connect()

    monkeypatch.setattr(connector.engine, "connect", flaky_connect)
    assert len(connector.fetch("services", None).records) == 6 and len(calls) == 2


def test_bad_url_is_a_source_error_without_the_url():
    with pytest.raises(SourceError) as info:
        connect(f"nosuchdb://u:{SECRET}@host/db", [1])
    assert SECRET not in str(info.value) and "u:***@host/db" in str(info.value)


def test_demo_database_is_built_in_the_data_dir_and_is_idempotent():
    db = SOURCE.emulator()
    path = settings.data_dir() / "booking_demo.sqlite"
    assert db.url == f"sqlite:///{path}" and path.exists()
    assert SOURCE.demo_credentials("bau-mueller") == {"database_url": db.url}
    assert not hasattr(db, "transport") and not hasattr(db, "serve") and db.limit_per_second is None
    assert SECRET not in repr(db)

    def snapshot() -> dict:
        engine = sa.create_engine(db.url)
        with engine.connect() as conn:
            out = {t: conn.execute(sa.text(f"SELECT * FROM {t} ORDER BY 1")).all() for t in db.tables}
        engine.dispose()
        return out

    first = snapshot()
    db.touch("salon-schneider", "services", 2)
    db.delete("bau-mueller", "companies", 1)
    assert snapshot() != first
    SOURCE.emulator()
    assert snapshot() == first and db.company_ids == {"bau-mueller": [1], "agentur-weber": [2],
                                                      "salon-schneider": [3]}
    with pytest.raises(ValueError):
        db.grow("bau-mueller", "companies", 1)


def test_rows_are_typed():
    row = service_row({"service_id": 201, "company_id": "2", "name": "Erstgespräch", "calcom_event_type_id": None,
                       "sync_status": "never", "last_calcom_sync": None, "sync_error": None, "extra": 1})
    assert row == {"source_id": "201", "service_id": 201, "company_id": 2, "name": "Erstgespräch",
                   "calcom_event_type_id": None, "sync_status": "never", "last_calcom_sync": None, "sync_error": None}
    row = mapping_row({"mapping_id": 2006, "company_id": 2, "service_id": 206, "calcom_event_type_id": 420206,
                       "calcom_team_id": 4101})
    assert row["calcom_team_id"] == 4101 and row["source_id"] == "2006"
    assert set(row) - {"source_id"} == {c.name for c in SOURCE.object("mappings").columns}
    with pytest.raises(ValueError):
        mapping_row({"company_id": 2})
