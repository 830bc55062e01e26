"""Ingest through Dagster: a real HTTP socket, atomic loads, reruns, unconfigured and failing sources."""

from __future__ import annotations

import dagster as dg
import pytest
import sqlalchemy as sa

from crm_pipelines.defs.build import build_definitions
from crm_pipelines.defs.constants import FULL_PIPELINE_JOB
from crm_pipelines.warehouse.engine import make_engine
from crm_pipelines_tests.defs.tenants_files import lexware_tenants
from crm_pipelines_tests.sources.lexware_fixtures import KEY, make_emulator

RAW = ["raw/lexware/contacts", "raw/lexware/vouchers"]


def run(defs, tenant, instance):
    job = defs.resolve_job_def(FULL_PIPELINE_JOB)
    return job.execute_in_process(partition_key=tenant, instance=instance, raise_on_error=False)


def sync_rows(url, tenant):
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select object, status, fetched, inserted, updated, unchanged, message "
                                    "from sync_runs where tenant_id = :t order by id"), {"t": tenant}).mappings().all()
    engine.dispose()
    return [dict(r) for r in rows]


def live_count(url, table, tenant):
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text(f"select count(*) from {table} where tenant_id = :t and not is_deleted"),
                         {"t": tenant}).scalar_one()
    engine.dispose()
    return n


@pytest.mark.slow
def test_lexware_through_dagster_over_http(tmp_path, monkeypatch, warehouse_url):
    emulator = make_emulator(contacts=40, vouchers=30, tenant="t1")
    monkeypatch.setenv("LEXWARE_KEY_T1", KEY)
    with emulator.serve() as server, dg.DagsterInstance.ephemeral() as instance:
        defs = build_definitions(lexware_tenants(tmp_path / "t.yaml", {"t1": server.base_url}), warehouse_url)
        first = run(defs, "t1", instance)
        assert first.success
        materialization = first.asset_materializations_for_node("raw__lexware__contacts")[0]
        assert materialization.metadata["dagster/row_count"].value == 40
        assert "Firma" in materialization.metadata["preview"].value
        second = run(defs, "t1", instance)
        assert second.success
    rows = sync_rows(warehouse_url, "t1")
    assert [(r["object"], r["status"], r["inserted"], r["updated"]) for r in rows if r["object"] == "contacts"] == [
        ("contacts", "succeeded", 40, 0), ("contacts", "succeeded", 0, 0)]
    assert live_count(warehouse_url, "raw_lexware_vouchers", "t1") == 30
    assert all(KEY not in (r["message"] or "") for r in rows)


@pytest.mark.slow
def test_a_failing_source_keeps_its_data_and_other_tenants_run(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    emulator = make_emulator(contacts=20, vouchers=5, tenant="t1")
    monkeypatch.setenv("LEXWARE_KEY_T1", KEY)
    with emulator.serve() as server, dg.DagsterInstance.ephemeral() as instance:
        defs = build_definitions(lexware_tenants(tmp_path / "t.yaml", {
            "t1": server.base_url, "t2": "https://api.lexware.io"}), url)
        assert run(defs, "t1", instance).success
        emulator.faults.inject("http_5xx", 100, path="/v1/contacts")
        failed = run(defs, "t1", instance)
        unconfigured = run(defs, "t2", instance)
    assert not failed.success
    landed = {e.asset_key.to_user_string() for e in failed.get_asset_materialization_events()}
    assert "raw/lexware/vouchers" in landed  # the tenant's other source objects are unaffected
    failure = next(e for e in failed.all_events if e.is_step_failure)
    message = failure.event_specific_data.error.message
    assert "lexware" in message and "t1" in message and "/v1/contacts" in message and "503" in message
    assert KEY not in message
    assert live_count(url, "raw_lexware_contacts", "t1") == 20  # previous data intact
    assert unconfigured.success
    meta = unconfigured.asset_materializations_for_node("raw__lexware__contacts")[0].metadata
    assert meta["status"].value == "unconfigured" and "LEXWARE_KEY_T2" in meta["reason"].value
    statuses = [r["status"] for r in sync_rows(url, "t1")]
    assert statuses.count("failed") == 1
    assert [r["status"] for r in sync_rows(url, "t2")] == ["unconfigured", "unconfigured"]
