"""Idempotency across every source: a rerun with nothing changed upstream writes nothing, keeps every id."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from crm_pipelines.defs.build import build_definitions
from crm_pipelines.defs.constants import FULL_PIPELINE_JOB
from crm_pipelines.warehouse.engine import make_engine


@pytest.mark.slow
def test_rerun_of_the_largest_demo_tenant_changes_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    job = build_definitions(warehouse_url=url).resolve_job_def(FULL_PIPELINE_JOB)
    engine = make_engine(url)
    with dg.DagsterInstance.ephemeral() as instance:
        first = job.execute_in_process(partition_key="bau-mueller", instance=instance, raise_on_error=False)
        with engine.connect() as conn:
            ids_before = pd.read_sql(sa.text("select source, source_id, golden_id from golden_contact_xref"), conn)
        second = job.execute_in_process(partition_key="bau-mueller", instance=instance, raise_on_error=False)
    assert first.success and second.success
    stats = [e.materialization.metadata["match_stats"].value for e in second.get_asset_materialization_events()
             if e.asset_key == dg.AssetKey("golden_resolution")]
    assert stats and stats[0]["mode"] == "incremental", stats  # the cache of the first run was used
    with engine.connect() as conn:
        runs = pd.read_sql(sa.text("select run_id, source, object, status, fetched, inserted, updated, deleted "
                                   "from sync_runs where tenant_id = 'bau-mueller'"), conn)
        ids_after = pd.read_sql(sa.text("select source, source_id, golden_id from golden_contact_xref"), conn)
    engine.dispose()
    first_runs, second_runs = runs[runs.run_id == first.run_id], runs[runs.run_id == second.run_id]
    assert set(first_runs.source) == {"hero", "monday", "ms365", "lexware", "weclapp", "calcom", "booking_db"}
    assert (first_runs.status == "succeeded").all() and first_runs.inserted.sum() > 1500
    assert (second_runs.status == "succeeded").all() and len(second_runs) == len(first_runs)
    assert second_runs[["inserted", "updated", "deleted"]].to_numpy().sum() == 0, second_runs.to_string()
    merged = ids_before.merge(ids_after, on=["source", "source_id"], suffixes=("_1", "_2"))
    assert len(merged) == len(ids_before) == len(ids_after) > 1000
    assert (merged.golden_id_1 == merged.golden_id_2).all(), "every golden id survives a rerun"
