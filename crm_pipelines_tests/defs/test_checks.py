"""The asset checks through Dagster: each fails on a crafted violation, passes without it, and a
blocking failure stops the downstream asset in the same run."""

from __future__ import annotations

import datetime as dt
import warnings

import dagster as dg
import pytest

from crm_pipelines.defs.build import build_definitions
from crm_pipelines.defs.checks import booking_checks, freshness_checks, integrity_checks
from crm_pipelines.defs.constants import BOOKING_SYNC_HEALTH, CHECK_TEAM_ID
from crm_pipelines.defs.golden_checks import golden_checks
from crm_pipelines.defs.sync_health import build_sync_health_asset
from crm_pipelines.warehouse.golden_tables import canonical_contacts, golden_contact_xref, golden_contacts
from crm_pipelines.warehouse.tables import sync_runs
from crm_pipelines_tests.defs.quality_defs import PARTITIONS, resources, stub_raw_assets, tenants_file
from crm_pipelines_tests.quality.booking_rows import booking_world, insert, make_warehouse

BOOKING = ["raw/booking_db/companies", "raw/booking_db/services", "raw/booking_db/mappings", "raw/calcom/event_types"]
warnings.filterwarnings("ignore", category=dg.PreviewWarning)


def _booking_defs():
    stubs = stub_raw_assets(BOOKING)
    existing = {k for a in stubs for k in a.keys}
    health = build_sync_health_asset(PARTITIONS, existing)
    return [*stubs, health], booking_checks(PARTITIONS, existing | {health.key})


def _run(tmp_path, assets, checks, tenant="t1"):
    url = f"sqlite:///{tmp_path / 'wh.sqlite'}"
    return dg.materialize([*assets, *checks], partition_key=tenant, resources=resources(tmp_path, url),
                          raise_on_error=False)


def _evaluations(result):
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def _materialized(result):
    return {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()
            for m in [m.event_specific_data.materialization]}


def test_clean_booking_passes_and_publishes_the_dashboard(tmp_path):
    engine = make_warehouse(tmp_path)
    booking_world(engine)
    assets, checks = _booking_defs()
    result = _run(tmp_path, assets, checks)
    evaluations = _evaluations(result)
    assert evaluations["team_id_invariant"].passed and evaluations["sync_status_invariant"].passed
    assert BOOKING_SYNC_HEALTH in _materialized(result)
    counts = evaluations["sync_status_invariant"].metadata["counts_per_status"].value
    assert counts == {"never": 1, "synced": 3}


def test_cross_tenant_mapping_blocks_the_dashboard_in_the_same_run(tmp_path):
    engine = make_warehouse(tmp_path)
    booking_world(engine, foreign_team=4101, unsynced=(3,))
    assets, checks = _booking_defs()
    result = _run(tmp_path, assets, checks)
    team = _evaluations(result)[CHECK_TEAM_ID]
    assert not team.passed and team.severity == dg.AssetCheckSeverity.ERROR and team.blocking
    table = team.metadata["violation_list"].value
    assert "| 1002 | Firma 1 (1) | Leistung 2 (102) | Termin 2 (4102) | 41 | 4101 | 41 |" in table
    assert "1002" in team.metadata["what_to_look_at"].value
    assert BOOKING_SYNC_HEALTH not in _materialized(result)
    status = _evaluations(result)["sync_status_invariant"]
    assert not status.passed and status.severity == dg.AssetCheckSeverity.WARN
    assert status.metadata["violations"].value == 1 and "103" in status.metadata["violation_list"].value


def test_null_team_only_warns_and_does_not_block(tmp_path):
    engine = make_warehouse(tmp_path)
    booking_world(engine, null_team_mapping=True)
    assets, checks = _booking_defs()
    result = _run(tmp_path, assets, checks)
    team = _evaluations(result)[CHECK_TEAM_ID]
    assert not team.passed and team.severity == dg.AssetCheckSeverity.WARN
    assert team.metadata["null_team_mappings"].value == 1
    assert BOOKING_SYNC_HEALTH in _materialized(result)


def test_other_tenants_violations_do_not_leak(tmp_path):
    engine = make_warehouse(tmp_path)
    booking_world(engine, "t1")
    booking_world(engine, "t2", foreign_team=99)
    assets, checks = _booking_defs()
    assert _evaluations(_run(tmp_path, assets, checks, "t1"))[CHECK_TEAM_ID].passed
    assert not _evaluations(_run(tmp_path, assets, checks, "t2"))[CHECK_TEAM_ID].passed


def test_tenant_without_the_booking_app_passes(tmp_path):
    make_warehouse(tmp_path)
    assets, checks = _booking_defs()
    evaluation = _evaluations(_run(tmp_path, assets, checks, "t3"))[CHECK_TEAM_ID]
    assert evaluation.passed and "not used" in evaluation.metadata["status"].value


@pytest.mark.parametrize("orphan", [False, True])
def test_voucher_references(tmp_path, orphan):
    engine = make_warehouse(tmp_path)
    insert(engine, "raw_lexware_contacts", "t1", [{"source_id": "c1", "name": "A"}])
    insert(engine, "raw_lexware_vouchers", "t1", [{"source_id": "v1", "contact_id": "c2" if orphan else "c1",
                                                   "voucher_number": "RE-1"}])
    stubs = stub_raw_assets(["raw/lexware/contacts", "raw/lexware/vouchers"])
    checks = integrity_checks(PARTITIONS, {k for a in stubs for k in a.keys})
    evaluation = _evaluations(_run(tmp_path, stubs, checks))["contact_references"]
    assert evaluation.passed is not orphan and evaluation.severity == dg.AssetCheckSeverity.WARN
    if orphan:
        assert "RE-1" in evaluation.metadata["orphan_list"].value


@pytest.mark.parametrize("hours_ago, fresh", [(1, True), (8, False)])
def test_tenant_freshness(tmp_path, hours_ago, fresh):
    engine = make_warehouse(tmp_path)
    now = dt.datetime(2025, 3, 3, 12, tzinfo=dt.timezone.utc)
    with engine.begin() as conn:
        conn.execute(sync_runs.insert(), [{"run_id": "r", "tenant_id": "t1", "source": "lexware",
                                           "object": "vouchers", "status": "succeeded",
                                           "started_at": now - dt.timedelta(hours=hours_ago),
                                           "finished_at": now - dt.timedelta(hours=hours_ago)}])
    stubs = stub_raw_assets(["raw/lexware/vouchers"])
    checks = freshness_checks(PARTITIONS, [stubs[0].key], now=lambda: now)
    evaluation = _evaluations(_run(tmp_path, stubs, checks))["tenant_freshness"]
    assert evaluation.passed is fresh and evaluation.metadata["window_minutes"].value == 300


def test_golden_isolation_blocks_downstream(tmp_path):
    engine = make_warehouse(tmp_path)
    with engine.begin() as conn:
        conn.execute(golden_contacts.insert(), [{"tenant_id": "t2", "golden_id": "G2"},
                                                {"tenant_id": "t1", "golden_id": "G1"}])
        conn.execute(canonical_contacts.insert(), [{"tenant_id": "t1", "source": "hero", "source_id": "1"}])
        conn.execute(golden_contact_xref.insert(), [{"tenant_id": "t1", "source": "hero", "source_id": "1",
                                                     "golden_id": "G2"}])
    golden = stub_raw_assets(["golden_contacts"])[0]

    @dg.asset(deps=[golden.key], partitions_def=PARTITIONS)
    def golden_export() -> None:
        """Downstream of the golden table."""

    result = _run(tmp_path, [golden, golden_export], golden_checks(PARTITIONS, golden.key))
    evaluations = _evaluations(result)
    assert not evaluations["golden_tenant_isolation"].passed
    assert "golden_export" not in _materialized(result)
    assert not evaluations["golden_health"].passed  # G1 has no records, the xref row dangles


def test_definitions_carry_every_check(tmp_path):
    defs = build_definitions(tenants_file(tmp_path / "tenants.yaml"), f"sqlite:///{tmp_path / 'wh.sqlite'}")
    defs.resolve_all_job_defs()
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().asset_check_keys}
    assert {"raw/booking_db/mappings:team_id_invariant", "raw/booking_db/services:sync_status_invariant",
            "raw/lexware/vouchers:contact_references", "raw/lexware/vouchers:tenant_freshness"} <= keys
    spec = defs.resolve_asset_graph().get(dg.AssetKey(["raw", "lexware", "vouchers"]))
    assert spec.freshness_policy is not None
