"""Wiring of issue 5: checks, the sync-health asset, schedules, sensors and the Slack resource.

``build_definitions`` calls ``quality_definitions`` with the assets it built; everything here is
derived from those assets (a source without assets gets no checks, job or schedule).
"""

import os

import dagster as dg

from crm_pipelines.config.tenants import Tenants
from crm_pipelines.defs.alerts import SlackResource, slack_alert_sensor
from crm_pipelines.defs.checks import booking_checks, freshness_checks, integrity_checks
from crm_pipelines.defs.constants import ENV_DAGSTER_BASE_URL, ENV_SLACK_WEBHOOK, RAW_PREFIX
from crm_pipelines.defs.golden_checks import golden_checks
from crm_pipelines.quality.golden_health import GoldenTables
from crm_pipelines.defs.schedules import SYNC_SCHEDULES, build_schedules
from crm_pipelines.defs.sensors import change_sensor_for
from crm_pipelines.defs.sync_health import build_sync_health_asset

GOLDEN = dg.AssetKey("golden_contacts")
RESOLUTION = dg.AssetKey("golden_resolution")


def _env(name: str):
    """``dg.EnvVar`` when the variable is set (resolved at run time, never stored), else empty."""
    return dg.EnvVar(name) if os.environ.get(name) else ""


def slack_resource() -> SlackResource:
    return SlackResource(webhook_url=_env(ENV_SLACK_WEBHOOK), dagster_base_url=_env(ENV_DAGSTER_BASE_URL))


def quality_definitions(tenants: Tenants, partitions: dg.PartitionsDefinition, assets: list) -> dg.Definitions:
    existing = {key for asset in assets for key in asset.keys}
    health = build_sync_health_asset(partitions, existing)
    new_assets = [health] if health is not None else []
    existing |= {key for asset in new_assets for key in asset.keys}
    raw_keys = sorted((k for k in existing if k.path[0] == RAW_PREFIX and len(k.path) == 3),
                      key=lambda k: k.to_user_string())
    fresh = freshness_checks(partitions, raw_keys)
    checks = booking_checks(partitions, existing) + integrity_checks(partitions, existing) + fresh
    if GOLDEN in existing:  # isolation blocks the publish (runs on the staged resolution); health on the result
        staged = GoldenTables(golden="stg_golden_contacts", xref="stg_golden_contact_xref",
                              pairs="stg_match_pairs", review="stg_match_review_queue", staged=True)
        checks += golden_checks(partitions, GOLDEN, isolation_key=RESOLUTION if RESOLUTION in existing else None,
                                isolation_tables=staged if RESOLUTION in existing else None)
    jobs, schedules = build_schedules(tenants, existing)
    sensors = [slack_alert_sensor]
    change = change_sensor_for(tenants, {job.name: job for job in jobs}, SYNC_SCHEDULES)
    if change is not None:
        sensors.append(change)
    return dg.Definitions(assets=new_assets, asset_checks=checks, jobs=jobs, schedules=schedules, sensors=sensors,
                          resources={"slack": slack_resource()})
