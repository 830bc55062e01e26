"""Referential integrity and per-tenant freshness rules on crafted rows."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from crm_pipelines.quality.freshness import check_freshness, evaluate
from crm_pipelines.quality.integrity import REFERENCES, orphans
from crm_pipelines.warehouse.tables import sync_runs
from crm_pipelines_tests.quality.booking_rows import NOW, insert, make_warehouse

LEX = REFERENCES[0]


def test_voucher_with_unknown_or_deleted_contact_is_an_orphan(tmp_path):
    engine = make_warehouse(tmp_path)
    insert(engine, "raw_lexware_contacts", "t1", [{"source_id": "c1", "name": "A"},
                                                  {"source_id": "c2", "name": "B", "is_deleted": True}])
    insert(engine, "raw_lexware_contacts", "t2", [{"source_id": "c9", "name": "other tenant"}])
    insert(engine, "raw_lexware_vouchers", "t1", [
        {"source_id": "v1", "contact_id": "c1", "voucher_number": "RE-1"},
        {"source_id": "v2", "contact_id": "c2", "voucher_number": "RE-2"},
        {"source_id": "v3", "contact_id": "c9", "voucher_number": "RE-3"},
        {"source_id": "v4", "contact_id": None, "voucher_number": "RE-4"}])
    with engine.connect() as conn:
        result = orphans(conn, "t1", LEX)
    assert result["applicable"] and result["checked"] == 3
    assert [(o["record"], o["problem"]) for o in result["orphans"]] == [("v2", "contact deleted"),
                                                                         ("v3", "contact unknown")]


def test_clean_vouchers_pass(tmp_path):
    engine = make_warehouse(tmp_path)
    insert(engine, "raw_lexware_contacts", "t1", [{"source_id": "c1", "name": "A"}])
    insert(engine, "raw_lexware_vouchers", "t1", [{"source_id": "v1", "contact_id": "c1"}])
    with engine.connect() as conn:
        assert orphans(conn, "t1", LEX)["orphans"] == []


def test_weclapp_tasks_reference(tmp_path):
    engine = make_warehouse(tmp_path)
    ref = REFERENCES[1]
    with engine.connect() as conn:
        result = orphans(conn, "t1", ref)
    assert result["applicable"] and result["orphans"] == []


def test_freshness_per_tenant(tmp_path):
    engine = make_warehouse(tmp_path)
    with engine.begin() as conn:
        conn.execute(sync_runs.insert(), [
            {"run_id": "r", "tenant_id": "t1", "source": "hero", "object": "contacts", "status": "succeeded",
             "started_at": NOW - dt.timedelta(hours=30), "finished_at": NOW - dt.timedelta(hours=30)},
            {"run_id": "r", "tenant_id": "t2", "source": "hero", "object": "contacts", "status": "succeeded",
             "started_at": NOW - dt.timedelta(hours=1), "finished_at": NOW - dt.timedelta(hours=1)},
            {"run_id": "r", "tenant_id": "t1", "source": "hero", "object": "contacts", "status": "failed",
             "started_at": NOW, "finished_at": NOW}])
    with engine.connect() as conn:
        stale = check_freshness(conn, "t1", "hero", "contacts", dt.timedelta(hours=26), now=NOW)
        fresh = check_freshness(conn, "t2", "hero", "contacts", dt.timedelta(hours=26), now=NOW)
        never = check_freshness(conn, "t3", "hero", "contacts", dt.timedelta(hours=26), now=NOW)
    assert not stale["fresh"] and stale["age_minutes"] == 1800
    assert fresh["fresh"] and not never["fresh"] and never["last_success"] is None
    assert evaluate(NOW, dt.timedelta(minutes=5), NOW)["fresh"]
    assert sa is not None
