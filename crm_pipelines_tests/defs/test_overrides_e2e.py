"""Steward overrides are data: a cannot-link row in match_overrides splits a golden contact on the next run."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from crm_pipelines.defs.build import build_definitions
from crm_pipelines.defs.constants import FULL_PIPELINE_JOB
from crm_pipelines.warehouse.engine import make_engine


@pytest.mark.slow
def test_cannot_link_splits_and_must_link_merges(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    job = build_definitions(warehouse_url=url).resolve_job_def(FULL_PIPELINE_JOB)
    engine = make_engine(url)

    def xref() -> pd.DataFrame:
        with engine.connect() as conn:
            return pd.read_sql(sa.text("select source, source_id, golden_id, link_method from golden_contact_xref "
                                       "where tenant_id = 'agentur-weber'"), conn)

    with dg.DagsterInstance.ephemeral() as instance:
        job.execute_in_process(partition_key="agentur-weber", instance=instance, raise_on_error=False)
        before = xref()
        pair_group = before[before.groupby("golden_id")["golden_id"].transform("size") == 2].sort_values(
            ["golden_id", "source", "source_id"]).head(2)
        a, b = pair_group.to_dict("records")
        singles = before[before.groupby("golden_id")["golden_id"].transform("size") == 1].head(2).to_dict("records")
        with engine.begin() as conn:
            conn.execute(sa.text(
                "insert into match_overrides (tenant_id, source_a, source_id_a, source_b, source_id_b, kind, reason, "
                "created_by, created_at) values ('agentur-weber', :sa, :ia, :sb, :ib, :kind, 'steward', 'test', "
                "'2026-11-21')"), [{"sa": a["source"], "ia": a["source_id"], "sb": b["source"], "ib": b["source_id"],
                                   "kind": "cannot_link"},
                                  {"sa": singles[0]["source"], "ia": singles[0]["source_id"],
                                   "sb": singles[1]["source"], "ib": singles[1]["source_id"], "kind": "must_link"}])
        job.execute_in_process(partition_key="agentur-weber", instance=instance, raise_on_error=False)
        after = xref().set_index(["source", "source_id"])
        with engine.connect() as conn:
            aliases = dict(conn.execute(sa.text("select alias_id, golden_id from golden_aliases "
                                                "where tenant_id = 'agentur-weber'")).all())
    engine.dispose()
    ga, gb = after.loc[(a["source"], a["source_id"]), "golden_id"], after.loc[(b["source"], b["source_id"]), "golden_id"]
    assert ga != gb, "cannot-link split the pair"
    assert a["golden_id"] in (ga, gb), "the part that stays keeps the old id; the other gets a new one"
    s0 = after.loc[(singles[0]["source"], singles[0]["source_id"])]
    s1 = after.loc[(singles[1]["source"], singles[1]["source_id"])]
    assert s0.golden_id == s1.golden_id and s0.link_method == "must_link"
    absorbed = {singles[0]["golden_id"], singles[1]["golden_id"]} - {s0.golden_id}
    assert len(absorbed) == 1 and aliases.get(absorbed.pop()) == s0.golden_id, "the merged-away id still resolves"
