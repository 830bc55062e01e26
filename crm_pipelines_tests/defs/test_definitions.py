"""The Definitions load, and every job, schedule and sensor resolves (a dangling key fails here)."""

from __future__ import annotations

import dagster as dg

from crm_pipelines.defs.build import build_definitions
from crm_pipelines.sources.registry import SOURCES


def test_definitions_load_and_resolve():
    defs = build_definitions()
    jobs = defs.resolve_all_job_defs()
    assert any(job.name == "full_pipeline" for job in jobs)
    for schedule in defs.schedules or []:
        defs.resolve_schedule_def(schedule.name)
    for sensor in defs.sensors or []:
        defs.resolve_sensor_def(sensor.name)
    dg.Definitions.validate_loadable(defs)


def test_every_source_object_has_a_documented_partitioned_asset():
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    for source in SOURCES.values():
        for spec in source.objects:
            assert f"raw/{source.name}/{spec.name}" in keys
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, f"{key} has no description"
        assert node.group_name and node.group_name != "default", f"{key} has no group"
        assert node.kinds, f"{key} has no kinds"
        assert node.partitions_def is not None and "bau-mueller" in node.partitions_def.get_partition_keys()


def test_a_warehouse_url_from_the_environment_is_never_shown_in_config(monkeypatch):
    monkeypatch.setenv("CRM_WAREHOUSE_URL", "postgresql+psycopg2://crm:s3cret@db:5432/crm")
    defs = build_definitions()
    warehouse = defs.resources["warehouse"]
    assert isinstance(warehouse.url, dg.EnvVar) and warehouse.url.env_var_name == "CRM_WAREHOUSE_URL"
    assert warehouse.url.get_value() == "postgresql+psycopg2://crm:s3cret@db:5432/crm"
