"""Assemble assets, checks, jobs, schedules, sensors and resources into ``Definitions``."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from crm_pipelines import settings
from crm_pipelines.config.tenants import load_tenants
from crm_pipelines.defs.constants import FULL_PIPELINE_JOB
from crm_pipelines.defs.data_quality import quality_definitions
from crm_pipelines.defs.golden import build_golden_assets
from crm_pipelines.defs.ingest import build_ingest_assets
from crm_pipelines.defs.partitions import tenant_partitions
from crm_pipelines.defs.resources import SourcesResource, WarehouseResource
from crm_pipelines.defs.schedules import apply_freshness_policies


def _warehouse_url(explicit: str | None):
    """The warehouse URL may hold a password: from the environment it stays a ``dg.EnvVar`` (the UI
    shows the variable's name, never its value); the embedded default is a local SQLite path."""
    if explicit:
        return explicit
    if os.environ.get("CRM_WAREHOUSE_URL"):
        return dg.EnvVar("CRM_WAREHOUSE_URL")
    return settings.warehouse_url()


def build_definitions(tenants_file: str | Path | None = None, warehouse_url: str | None = None) -> dg.Definitions:
    tenants_path = Path(tenants_file) if tenants_file else settings.tenants_file()
    tenants = load_tenants(tenants_path)
    partitions = tenant_partitions(tenants.ids)
    assets = apply_freshness_policies(build_ingest_assets(partitions)) + build_golden_assets(partitions)
    full_pipeline = dg.define_asset_job(FULL_PIPELINE_JOB, selection=dg.AssetSelection.all(),
                                        description="Every asset and check of one tenant, end to end.")
    base = dg.Definitions(
        assets=assets,
        jobs=[full_pipeline],
        resources={
            "warehouse": WarehouseResource(url=_warehouse_url(warehouse_url)),
            "sources": SourcesResource(tenants_file=str(tenants_path)),
        },
    )
    return dg.Definitions.merge(base, quality_definitions(tenants, partitions, assets))
