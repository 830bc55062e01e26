"""``booking_sync_health``: the sync-health dashboard the booking users asked for, per tenant.

It sits downstream of the booking raw assets and the Cal.com event types, so the blocking
team-ID check on ``raw/booking_db/mappings`` stops it in the same run: a contaminated mapping is
never published into the dashboard as if it were healthy.
"""

import datetime as dt

import dagster as dg

from crm_pipelines.defs.checks import COMPANIES, EVENT_TYPES, MAPPINGS, SERVICES
from crm_pipelines.defs.constants import BOOKING_SYNC_HEALTH, CHECKS_GROUP, OWNER
from crm_pipelines.defs.markdown import md_table
from crm_pipelines.defs.resources import WarehouseResource
from crm_pipelines.quality import invariants, sync_health

PREVIEW = ["service_id", "service", "calcom_event_type_id", "sync_status", "company_team_id", "mapping_team_id",
           "calcom_team_id", "healthy", "problems"]


def build_sync_health_asset(partitions: dg.PartitionsDefinition,
                            existing: set[dg.AssetKey]) -> dg.AssetsDefinition | None:
    deps = [k for k in (COMPANIES, SERVICES, MAPPINGS, EVENT_TYPES) if k in existing]
    if MAPPINGS not in existing or SERVICES not in existing:
        return None

    @dg.asset(
        name=BOOKING_SYNC_HEALTH, deps=deps, partitions_def=partitions, group_name=CHECKS_GROUP,
        kinds={"sqlalchemy", "table"}, owners=[OWNER], tags={"crm/domain": "booking"},
        metadata={"dagster/table_name": sync_health.booking_sync_health.name},
    )
    def booking_sync_health(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        """Sync-health dashboard of the booking app, per tenant: one row per service with its Cal.com
        event type, sync status, last sync, the company's / mapping's / Cal.com's team id and the
        invariant problems it has (table `booking_sync_health`, replaced per tenant atomically).
        Not published while the blocking team-ID check on the mappings fails."""
        tenant = context.partition_key
        with warehouse.engine.connect() as conn:
            snap = invariants.load_booking(conn, tenant)
        rows = sync_health.health_rows(tenant, snap, dt.datetime.now(dt.timezone.utc))
        sync_health.publish(warehouse.engine, tenant, rows)
        unhealthy = [r for r in rows if not r["healthy"]]
        return dg.MaterializeResult(metadata={
            "dagster/row_count": len(rows), "services_unhealthy": len(unhealthy),
            "counts_per_status": dg.MetadataValue.json(invariants.status_counts(snap)),
            "mappings": len(snap.mappings), "calcom_event_types": len(snap.event_types or []),
            "preview": dg.MetadataValue.md(md_table(unhealthy or rows, PREVIEW, limit=20))})

    return booking_sync_health
