"""The golden layer through Dagster on the demo tenants: complete xref, stable ids, isolation, activity."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from crm_pipelines.defs.build import build_definitions
from crm_pipelines.defs.constants import FULL_PIPELINE_JOB
from crm_pipelines.warehouse.engine import make_engine


def frame(url, sql, **params):
    engine = make_engine(url)
    with engine.connect() as conn:
        result = pd.read_sql(sa.text(sql), conn, params=params)
    engine.dispose()
    return result


@pytest.mark.slow
def test_demo_tenant_golden_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    defs = build_definitions(warehouse_url=url)
    job = defs.resolve_job_def(FULL_PIPELINE_JOB)
    with dg.DagsterInstance.ephemeral() as instance:
        first = job.execute_in_process(partition_key="salon-schneider", instance=instance, raise_on_error=False)
        ids_before = frame(url, "select source, source_id, golden_id from golden_contact_xref")
        second = job.execute_in_process(partition_key="salon-schneider", instance=instance, raise_on_error=False)
    assert first.success and second.success
    ran = {e.asset_key.to_user_string() for e in first.get_asset_materialization_events() if e.asset_key}
    assert {"canonical_contacts", "golden_contacts", "golden_contact_xref", "golden_contact_activity"} <= ran
    canonical = frame(url, "select tenant_id, source, source_id from canonical_contacts where not is_deleted")
    xref = frame(url, "select tenant_id, source, source_id, golden_id from golden_contact_xref")
    assert len(canonical) > 0
    merged = canonical.merge(xref, on=["tenant_id", "source", "source_id"], how="left")
    assert merged["golden_id"].notna().all(), "every canonical contact has a golden id"
    assert not xref.duplicated(["tenant_id", "source", "source_id"]).any()
    assert set(xref["tenant_id"]) == {"salon-schneider"}
    golden = frame(url, "select golden_id from golden_contacts")
    assert set(xref["golden_id"]) == set(golden["golden_id"]), "no golden contact without a source record"
    ids_after = frame(url, "select source, source_id, golden_id from golden_contact_xref")
    same = ids_before.merge(ids_after, on=["source", "source_id"], suffixes=("_1", "_2"))
    assert len(same) == len(ids_before) and (same["golden_id_1"] == same["golden_id_2"]).all()
    activity = frame(url, "select sum(items) as n, sum(open_amount) as open from golden_contact_activity")
    vouchers = frame(url, "select count(*) as n, sum(open_amount) as open from raw_lexware_vouchers "
                          "where contact_id is not null and not is_deleted")
    assert int(activity["n"][0]) == int(vouchers["n"][0])
    assert activity["open"][0] == pytest.approx(vouchers["open"][0])


@pytest.mark.slow
def test_demo_matching_against_ground_truth_and_isolation(tmp_path):
    """Two tenants sharing 15 e-mail addresses: high precision and recall, and no golden id across them."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "demo_match_quality", Path(__file__).resolve().parents[2] / "benchmarks" / "demo_match_quality.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    job = build_definitions(warehouse_url=url).resolve_job_def(FULL_PIPELINE_JOB)
    with dg.DagsterInstance.ephemeral() as instance:
        for tenant in ("agentur-weber", "bau-mueller"):
            job.execute_in_process(partition_key=tenant, instance=instance, raise_on_error=False)
    report = module.demo_quality(url)
    assert report["_cross_tenant_golden_ids"]["count"] == 0
    for tenant in ("agentur-weber", "bau-mueller"):
        assert report[tenant]["records"] > 300
        assert report[tenant]["precision"] >= 0.995, report[tenant]
        assert report[tenant]["recall"] >= 0.95, report[tenant]
    shared = frame(url, "select x1.golden_id from golden_contact_xref x1 join golden_contact_xref x2 "
                        "on x1.golden_id = x2.golden_id and x1.tenant_id <> x2.tenant_id")
    assert shared.empty


@pytest.mark.slow
@pytest.mark.parametrize("staging_file", [False, True], ids=["stg_tables", "staging_file"])
def test_isolation_failure_on_the_staged_result_stops_the_publish(tmp_path, monkeypatch, staging_file):
    """A tenant's xref corrupted with another tenant's golden id: the resolver carries it forward into
    the staged result, the blocking isolation check fails, and the published golden tables stay as they were.
    ``staging_file``: every staging is large enough for the bulk writer, so a full one is a file of its own,
    which the check attaches."""
    from crm_pipelines.warehouse import staging
    from crm_pipelines_tests.defs.tenants_files import lexware_tenants
    from crm_pipelines_tests.sources.lexware_fixtures import KEY, make_emulator

    if staging_file:
        monkeypatch.setattr(staging, "BULK_VALUES", 0)

    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    emulator = make_emulator(contacts=12, vouchers=3, tenant="t1")
    emulator.accounts["t2"] = {"contacts": [dict(c) for c in emulator.accounts["t1"]["contacts"]], "vouchers": []}
    emulator.keys["key-t2"] = "t2"
    monkeypatch.setenv("LEXWARE_KEY_T1", KEY)
    monkeypatch.setenv("LEXWARE_KEY_T2", "key-t2")
    with emulator.serve() as server, dg.DagsterInstance.ephemeral() as instance:
        defs = build_definitions(lexware_tenants(tmp_path / "t.yaml", {"t1": server.base_url, "t2": server.base_url}), url)
        job = defs.resolve_job_def(FULL_PIPELINE_JOB)
        for tenant in ("t1", "t2"):
            assert job.execute_in_process(partition_key=tenant, instance=instance, raise_on_error=False).success
        foreign = frame(url, "select golden_id from golden_contacts where tenant_id = 't2' limit 1")["golden_id"][0]
        engine = make_engine(url)
        with engine.begin() as conn:
            victim = conn.execute(sa.text("select golden_id from golden_contacts where tenant_id = 't1' "
                                          "order by golden_id limit 1")).scalar_one()
            conn.execute(sa.text("update golden_contact_xref set golden_id = :f where tenant_id = 't1' and "
                                 "golden_id = :v"), {"f": foreign, "v": victim})
            conn.execute(sa.text("update golden_contacts set golden_id = :f where tenant_id = 't1' and "
                                 "golden_id = :v"), {"f": foreign, "v": victim})
        engine.dispose()
        before = frame(url, "select * from golden_contacts where tenant_id = 't1' order by golden_id")
        result = job.execute_in_process(partition_key="t1", instance=instance, raise_on_error=False)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["golden_tenant_isolation"].passed
    assert "golden_id_of_other_tenant" in checks["golden_tenant_isolation"].metadata["violation_list"].value
    published = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "golden_resolution" in published and "golden_contacts" not in published
    after = frame(url, "select * from golden_contacts where tenant_id = 't1' order by golden_id")
    pd.testing.assert_frame_equal(before, after)
    files = sorted(p.name for p in staging.staging_dir(str(tmp_path / "w.sqlite")).glob("*"))
    assert len(files) == (1 if staging_file else 0)  # the refused staging's file, kept for a look
