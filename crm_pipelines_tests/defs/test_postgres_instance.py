"""The top-level dagster.yaml really stores runs and events in PostgreSQL."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest
import sqlalchemy as sa

from crm_pipelines import settings
from crm_pipelines.defs.build import build_definitions
from crm_pipelines.defs.constants import FULL_PIPELINE_JOB
from crm_pipelines_tests.defs.tenants_files import lexware_tenants
from crm_pipelines_tests.sources.lexware_fixtures import KEY, make_emulator


@pytest.mark.postgres
@pytest.mark.slow
def test_materialization_is_stored_in_postgres(tmp_path, monkeypatch, pg_database):
    home = tmp_path / "pg_home"
    home.mkdir()
    shutil.copyfile(settings.PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_PG_URL", pg_database)
    monkeypatch.setenv("LEXWARE_KEY_T1", KEY)
    emulator = make_emulator(contacts=12, vouchers=3, tenant="t1")
    with emulator.serve() as server, dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        defs = build_definitions(lexware_tenants(tmp_path / "t.yaml", {"t1": server.base_url}),
                                 f"sqlite:///{tmp_path / 'w.sqlite'}")
        result = defs.resolve_job_def(FULL_PIPELINE_JOB).execute_in_process(partition_key="t1", instance=instance)
        assert result.success
    engine = sa.create_engine(pg_database)
    with engine.connect() as conn:
        runs = conn.execute(sa.text("select run_id, status from runs")).all()
        events = conn.execute(sa.text(
            "select asset_key from event_logs where run_id = :r and dagster_event_type = 'ASSET_MATERIALIZATION'"),
            {"r": result.run_id}).scalars().all()
    engine.dispose()
    assert (result.run_id, "SUCCESS") in [(r.run_id, r.status) for r in runs]
    assert any("lexware" in key and "contacts" in key for key in events)
    assert any("lexware" in key and "vouchers" in key for key in events)
