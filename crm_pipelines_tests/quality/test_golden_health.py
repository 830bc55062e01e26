"""Golden isolation and health rules on crafted golden tables."""

from __future__ import annotations

import sqlalchemy as sa

from crm_pipelines.quality.golden_health import HealthThresholds, health, isolation_violations
from crm_pipelines.warehouse.golden_tables import (canonical_contacts, contact_rejects, golden_contact_xref,
                                                   golden_contacts, match_pairs, match_review_queue)
from crm_pipelines_tests.quality.booking_rows import make_warehouse


def _golden(engine, tenant, gid, members):
    with engine.begin() as conn:
        conn.execute(golden_contacts.insert(), [{"tenant_id": tenant, "golden_id": gid, "member_count": len(members)}])
        for source, sid in members:
            conn.execute(canonical_contacts.insert(), [{"tenant_id": tenant, "source": source, "source_id": sid,
                                                        "is_deleted": False}])
            conn.execute(golden_contact_xref.insert(), [{"tenant_id": tenant, "source": source, "source_id": sid,
                                                         "golden_id": gid}])


def test_clean_tables_pass(tmp_path):
    engine = make_warehouse(tmp_path)
    _golden(engine, "t1", "G1", [("hero", "1"), ("ms365", "a")])
    _golden(engine, "t2", "G2", [("hero", "1")])
    with engine.connect() as conn:
        assert isolation_violations(conn, "t1") == [] and isolation_violations(conn, "t2") == []
        report = health(conn, "t1")
    assert report["problems"] == [] and report["figures"]["golden_contacts"] == 1


def test_xref_pointing_into_another_tenant_is_flagged(tmp_path):
    engine = make_warehouse(tmp_path)
    _golden(engine, "t1", "G1", [("hero", "1")])
    _golden(engine, "t2", "G2", [("hero", "2")])
    with engine.begin() as conn:  # t1 links its record to t2's golden id, and claims t2's record
        conn.execute(canonical_contacts.insert(), [{"tenant_id": "t1", "source": "hero", "source_id": "3"}])
        conn.execute(golden_contact_xref.insert(), [
            {"tenant_id": "t1", "source": "hero", "source_id": "3", "golden_id": "G2"},
            {"tenant_id": "t1", "source": "hero", "source_id": "2", "golden_id": "G1"}])
    with engine.connect() as conn:
        kinds = sorted((v["kind"], v["other_tenant"]) for v in isolation_violations(conn, "t1"))
        assert isolation_violations(conn, "t2") == []
    assert kinds == [("xref_golden_other_tenant", "t2"), ("xref_record_other_tenant", "t2")]


def test_health_problems(tmp_path):
    engine = make_warehouse(tmp_path)
    _golden(engine, "t1", "G1", [("hero", "1")])
    _golden(engine, "t1", "G2", [("hero", "2")])
    with engine.begin() as conn:
        conn.execute(golden_contacts.insert(), [{"tenant_id": "t1", "golden_id": "G3"}])  # no records
        conn.execute(canonical_contacts.insert(), [{"tenant_id": "t1", "source": "hero", "source_id": "4",
                                                    "is_deleted": False}])  # no golden id
        conn.execute(match_pairs.insert(), [
            {"tenant_id": "t1", "golden_id_a": "G1", "golden_id_b": "G2", "match_probability": 0.999,
             "decision": "auto_merge"},
            {"tenant_id": "t1", "golden_id_a": "G1", "golden_id_b": "G2", "match_probability": 0.9999,
             "decision": "review"}])  # a review pair is the review queue's business, not a duplicate left
        conn.execute(match_review_queue.insert(), [{"tenant_id": "t1"}] * 3)
        conn.execute(contact_rejects.insert(), [{"tenant_id": "t1", "reason": "no name"}])
    with engine.connect() as conn:
        report = health(conn, "t1", thresholds=HealthThresholds(max_review_queue=2, max_reject_share=0.2))
    figures = report["figures"]
    assert figures["duplicates_left"] == 1 and figures["golden_without_records"] == 1
    assert figures["canonical_without_golden"] == 1 and figures["review_queue"] == 3
    assert figures["reject_share"] == 0.25
    assert len(report["problems"]) == 5
    assert sa is not None


def test_a_golden_id_held_by_two_tenants_is_flagged(tmp_path):
    engine = make_warehouse(tmp_path)
    _golden(engine, "t1", "GSAME", [("hero", "1")])
    _golden(engine, "t2", "GSAME", [("hero", "2")])
    _golden(engine, "t2", "GOWN", [("hero", "4")])
    with engine.connect() as conn:
        kinds = {(v["kind"], v["other_tenant"], v["golden_id"]) for v in isolation_violations(conn, "t1")}
    assert kinds == {("golden_id_of_other_tenant", "t2", "GSAME")}


def _instructions(engine, tenant: str) -> int:
    """SQLite virtual-machine instructions (in thousands) that ``isolation_violations`` executes."""
    with engine.connect() as conn:
        raw, calls = conn.connection.dbapi_connection, [0]

        def count() -> int:
            calls[0] += 1
            return 0

        raw.set_progress_handler(count, 1000)
        try:
            assert isolation_violations(conn, tenant) == []
        finally:
            raw.set_progress_handler(None, 1000)
    return calls[0]


def test_the_isolation_check_grows_with_the_rows_not_their_square(tmp_path):
    """Joined on a key alone (the golden and canonical tables are indexed by tenant first), the check
    scanned the other tenants' rows once per row of the tenant: minutes at 1M records. Counted in
    SQLite instructions, not timed: four times the rows cost about four times the work."""
    engine = make_warehouse(tmp_path)
    work = []
    for n in (500, 2000):
        with engine.begin() as conn:
            for table in (golden_contacts, golden_contact_xref, canonical_contacts):
                conn.execute(table.delete())
            for tenant in ("t1", "t2"):
                conn.execute(golden_contacts.insert(), [{"tenant_id": tenant, "golden_id": f"{tenant}-G{k}"}
                                                        for k in range(n)])
                conn.execute(canonical_contacts.insert(), [{"tenant_id": tenant, "source": "hero",
                                                            "source_id": f"{tenant}-{k}"} for k in range(n)])
                conn.execute(golden_contact_xref.insert(), [{"tenant_id": tenant, "source": "hero",
                                                             "source_id": f"{tenant}-{k}", "golden_id": f"{tenant}-G{k}"}
                                                            for k in range(n)])
        work.append(_instructions(engine, "t1"))
    assert work[1] < 6 * work[0], work  # a join per pair of rows: 16 times
