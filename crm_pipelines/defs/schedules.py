"""Schedules in the spirit of the users' crontab, Europe/Berlin, one run request per tenant.

Times are configuration: ``CRM_SCHEDULE_<NAME>`` (e.g. ``CRM_SCHEDULE_HERO="30 2 * * *"``) overrides
a cron, ``CRM_SCHEDULE_TIMEZONE`` the time zone. Each run carries ``crm/tenant`` and ``crm/source``
tags: the instance limits runs per tenant to one at a time (tag concurrency) and every source's
ingest steps share one pool (``crm_source_<source>``, limit 1), so a schedule and the change sensor
never write the same tenant and source at once.
"""

import datetime as dt
import os
from dataclasses import dataclass

import dagster as dg

from crm_pipelines.config.tenants import Tenants
from crm_pipelines.defs.constants import (BOOKING_SYNC_HEALTH, GOLDEN_GROUP, GOLDEN_JOB, RAW_PREFIX,
                                          TAG_SOURCE, TAG_TENANT, TAG_TRIGGER, raw_group, sync_job)

DEFAULT_TIMEZONE = "Europe/Berlin"


@dataclass(frozen=True)
class SyncSchedule:
    name: str
    sources: tuple[str, ...]
    cron: str
    freshness: dt.timedelta  # the tenant freshness check's window for these sources
    extra_assets: tuple[str, ...] = ()
    why: str = ""


SYNC_SCHEDULES = (
    SyncSchedule("hero", ("hero",), "0 2 * * *", dt.timedelta(hours=26), why="nightly, like the users' cron"),
    SyncSchedule("ms365", ("ms365",), "0 3 * * *", dt.timedelta(hours=26), why="nightly, after HERO"),
    SyncSchedule("monday", ("monday",), "0 4 * * *", dt.timedelta(hours=26), why="nightly, after Microsoft 365"),
    SyncSchedule("weclapp", ("weclapp",), "30 1 * * *", dt.timedelta(hours=26),
                 why="nightly safety net; the change sensor syncs weclapp within minutes of a change"),
    SyncSchedule("lexware", ("lexware",), "0 */4 * * *", dt.timedelta(hours=5),
                 why="vouchers every 4 hours (contacts with them, so voucher references resolve)"),
    SyncSchedule("booking", ("calcom", "booking_db"), "*/30 * * * *", dt.timedelta(minutes=75),
                 extra_assets=(BOOKING_SYNC_HEALTH,),
                 why="every 30 min, so a bad mapping is caught within the hour"),
)
GOLDEN_CRON = "0 5 * * *"


def timezone() -> str:
    return os.environ.get("CRM_SCHEDULE_TIMEZONE") or DEFAULT_TIMEZONE


def cron_for(name: str, default: str) -> str:
    return os.environ.get(f"CRM_SCHEDULE_{name.upper()}") or default


def freshness_window(source: str) -> dt.timedelta:
    for spec in SYNC_SCHEDULES:
        if source in spec.sources:
            return spec.freshness
    return dt.timedelta(hours=26)


def run_tags(tenant: str, sources: str, trigger: str) -> dict[str, str]:
    return {TAG_TENANT: tenant, TAG_SOURCE: sources, TAG_TRIGGER: trigger}


def apply_freshness_policies(assets: list) -> list:
    """Set Dagster's own ``FreshnessPolicy`` on every raw asset (window per source, see above)."""
    def _apply(spec: dg.AssetSpec) -> dg.AssetSpec:
        if spec.key.path[0] != RAW_PREFIX or len(spec.key.path) != 3:
            return spec
        window = freshness_window(spec.key.path[1])
        return dg.apply_freshness_policy(spec, dg.FreshnessPolicy.time_window(fail_window=window))
    return list(dg.map_asset_specs(_apply, assets))


def golden_automation_condition() -> dg.AutomationCondition:
    """The declarative alternative to the 05:00 golden schedule: materialize when inputs changed,
    none is missing or in progress, and every blocking check of the inputs passed."""
    return dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()


def _per_tenant(name: str, cron: str, job, tenant_ids: list[str], sources: str, description: str,
                needs_partitions: bool = False) -> dg.ScheduleDefinition:
    @dg.schedule(name=f"{name}_schedule", cron_schedule=cron, job=job, execution_timezone=timezone(),
                 description=description)
    def _schedule(context: dg.ScheduleEvaluationContext):
        if needs_partitions and context.repository_def is not None:
            if context.repository_def.get_job(job.name).partitions_def is None:
                return dg.SkipReason(f"job {job.name} selects no (tenant-partitioned) assets yet")
        if not tenant_ids:
            return dg.SkipReason(f"no tenant uses {sources}")
        stamp = (context.scheduled_execution_time or dt.datetime.now(dt.timezone.utc)).isoformat()
        return [dg.RunRequest(run_key=f"{name}:{tenant}:{stamp}", partition_key=tenant,
                              tags=run_tags(tenant, sources, "schedule")) for tenant in tenant_ids]

    return _schedule


def build_schedules(tenants: Tenants, existing: set[dg.AssetKey]) -> tuple[list, list]:
    """(jobs, schedules): one sync job + schedule per entry of ``SYNC_SCHEDULES`` whose sources have
    assets, and the golden job at 05:00."""
    registered = {k.path[1] for k in existing if k.path[0] == RAW_PREFIX and len(k.path) == 3}
    jobs, schedules = [], []
    for spec in SYNC_SCHEDULES:
        sources = [s for s in spec.sources if s in registered]
        if not sources:
            continue
        selection = dg.AssetSelection.groups(*(raw_group(s) for s in sources))
        extra = [dg.AssetKey(a) for a in spec.extra_assets if dg.AssetKey(a) in existing]
        if extra:
            selection = selection | dg.AssetSelection.assets(*extra)
        tag = ",".join(sources)
        job = dg.define_asset_job(sync_job(spec.name), selection=selection, tags={TAG_SOURCE: tag},
                                  description=f"Sync {tag} for one tenant, with its checks: {spec.why}.")
        users = [t.id for t in tenants.tenants if set(sources) & set(t.sources)]
        cron = cron_for(spec.name, spec.cron)
        jobs.append(job)
        schedules.append(_per_tenant(spec.name, cron, job, users, tag,
                                     f"{tag}: {cron} ({timezone()}), {spec.why}; one run per tenant using it."))
    golden = dg.define_asset_job(GOLDEN_JOB, selection=dg.AssetSelection.groups(GOLDEN_GROUP),
                                 tags={TAG_SOURCE: "golden"},
                                 description="Normalize, match and publish the golden contacts of one tenant.")
    golden_cron = cron_for("golden", GOLDEN_CRON)
    jobs.append(golden)
    schedules.append(_per_tenant("golden", golden_cron, golden, tenants.ids, "golden",
                                 f"Golden contacts at {golden_cron} ({timezone()}), after the nightly imports.",
                                 needs_partitions=True))
    return jobs, schedules
