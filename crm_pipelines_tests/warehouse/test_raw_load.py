"""The atomic, idempotent raw load, on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
import pytest

from crm_pipelines.sources.lexware import mapping
from crm_pipelines.warehouse.raw_load import RunInfo, apply_fetch, read_cursor, utcnow
from crm_pipelines.warehouse.tables import raw_table, sync_runs
from crm_pipelines_tests.sources.lexware_fixtures import make_contacts


def load(engine, records, run_id="r1", tenant="t1", complete=True, deleted=(), cursor=None, to_row=mapping.contact_row):
    return apply_fetch(engine, RunInfo(run_id, tenant, "lexware", "contacts", utcnow()), records=records,
                       complete=complete, deleted_ids=deleted, to_row=to_row, cursor=cursor)


def live_ids(engine, tenant="t1"):
    table = raw_table("lexware", "contacts")
    with engine.connect() as conn:
        return set(conn.execute(sa.select(table.c.source_id).where(
            table.c.tenant_id == tenant, table.c.is_deleted.is_(False))).scalars())


def test_first_load_inserts_and_rerun_changes_nothing(engine):
    records = make_contacts(40)
    first = load(engine, records)
    assert (first.inserted, first.updated, first.unchanged) == (40, 0, 0)
    again = load(engine, records, run_id="r2")
    assert (again.inserted, again.updated, again.unchanged, again.deleted) == (0, 0, 40, 0)
    assert len(live_ids(engine)) == 40


def test_changes_and_deletions_are_counted(engine):
    records = make_contacts(10)
    load(engine, records)
    records[0] = {**records[0], "version": 2, "note": "neu"}
    stats = load(engine, records[:-1], run_id="r2")  # the last one vanished from a complete scan
    assert (stats.inserted, stats.updated, stats.unchanged, stats.deleted) == (0, 1, 8, 1)
    assert records[-1]["id"] not in live_ids(engine)
    back = load(engine, records, run_id="r3")  # it comes back: a resurrection is an update
    assert (back.inserted, back.updated, back.deleted) == (0, 1, 0)


def test_delta_marks_only_tombstones_deleted(engine):
    records = make_contacts(10)
    load(engine, records)
    stats = load(engine, [records[0]], complete=False, deleted=[records[1]["id"], "unknown-id"], run_id="r2")
    assert (stats.unchanged, stats.deleted) == (1, 1)
    assert len(live_ids(engine)) == 9


def test_tenants_never_see_each_other(engine):
    load(engine, make_contacts(5), tenant="t1")
    load(engine, make_contacts(3), tenant="t2")
    stats = load(engine, make_contacts(5)[:2], tenant="t1", run_id="r2")
    assert stats.deleted == 3
    assert len(live_ids(engine, "t2")) == 3  # t1's complete scan never deletes t2's rows


def test_a_failed_load_leaves_previous_rows_and_cursor(engine):
    records = make_contacts(10)
    load(engine, records, cursor={"at": "one"})
    broken = lambda raw: {**mapping.contact_row(raw), "version": object()}  # noqa: E731
    with pytest.raises(sa.exc.SQLAlchemyError):
        load(engine, make_contacts(12), run_id="r2", cursor={"at": "two"}, to_row=broken)
    assert len(live_ids(engine)) == 10
    assert read_cursor(engine, "t1", "lexware", "contacts") == {"at": "one"}
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sync_runs)).scalar_one() == 1


def test_bad_records_are_quarantined_not_fatal(engine):
    records = make_contacts(5) + [{"no": "id"}]
    stats = load(engine, records)
    assert stats.inserted == 5 and stats.errors == 1
    with engine.connect() as conn:
        reasons = conn.execute(sa.text("select reason from ingest_errors")).scalars().all()
    assert len(reasons) == 1 and "KeyError" in reasons[0]


def test_run_log_row_has_the_counts(engine):
    load(engine, make_contacts(7), cursor={"c": 1})
    with engine.connect() as conn:
        row = conn.execute(sa.select(sync_runs)).mappings().one()
    assert row["status"] == "succeeded" and row["fetched"] == 7 and row["inserted"] == 7
    assert row["finished_at"] >= row["started_at"] and row["duration_s"] >= 0


def test_a_source_soft_delete_becomes_a_tombstone(engine):
    records = make_contacts(4)
    soft = lambda raw: {**mapping.contact_row(raw), "is_deleted": bool(raw.get("gone"))}  # noqa: E731
    load(engine, records, to_row=soft)
    records[0] = {**records[0], "gone": True}
    stats = load(engine, records, run_id="r2", to_row=soft)
    assert (stats.deleted, stats.updated, stats.unchanged) == (1, 0, 3)
    assert records[0]["id"] not in live_ids(engine) and len(live_ids(engine)) == 3


def test_list_and_dict_values_are_stored_as_json_text(engine):
    import json

    from crm_pipelines.sources.weclapp import mapping as weclapp

    task = {"id": "9001", "subject": "Aufmaß", "taskStatus": "OPEN", "customerId": "1",
            "assignees": [{"userId": "12"}, {"userId": "13"}], "lastModifiedDate": 1}
    stats = apply_fetch(engine, RunInfo("r1", "t1", "weclapp", "tasks", utcnow()), records=[task], complete=True,
                        deleted_ids=[], to_row=weclapp.task_row, cursor=None)
    assert stats.inserted == 1
    table = raw_table("weclapp", "tasks")
    with engine.connect() as conn:
        stored = conn.execute(sa.select(table.c.assignee_user_ids)).scalar_one()
    assert json.loads(stored) == ["12", "13"]
