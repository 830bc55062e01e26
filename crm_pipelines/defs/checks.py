"""Asset checks per tenant partition: the booking invariants, referential integrity, freshness.

The rules live in ``crm_pipelines.quality`` (no Dagster); this module only resolves resources, runs
a rule for the check's tenant partition and turns the violations into a result a person can act on.
Every failing result carries ``what_to_look_at`` (used by the Slack alert) and a markdown table.
"""

import datetime as dt
import warnings
from collections.abc import Callable

import dagster as dg

from crm_pipelines.defs.constants import CHECK_FRESHNESS, CHECK_ORPHANS, CHECK_SYNC_STATUS, CHECK_TEAM_ID, RAW_PREFIX
from crm_pipelines.defs.markdown import md_table
from crm_pipelines.defs.resources import SourcesResource, WarehouseResource
from crm_pipelines.defs.schedules import freshness_window
from crm_pipelines.quality import freshness, integrity, invariants

# Tenant-partitioned checks are a Dagster preview feature; they are what makes results per tenant.
warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec",
                        category=dg.PreviewWarning)

MAPPINGS = dg.AssetKey([RAW_PREFIX, "booking_db", "mappings"])
SERVICES = dg.AssetKey([RAW_PREFIX, "booking_db", "services"])
COMPANIES = dg.AssetKey([RAW_PREFIX, "booking_db", "companies"])
EVENT_TYPES = dg.AssetKey([RAW_PREFIX, "calcom", "event_types"])
TEAM_COLUMNS = ["mapping_id", "company", "service", "event_type", "expected_team", "actual_team", "calcom_team",
                "problem"]
SERVICE_COLUMNS = ["service_id", "service", "company", "event_type", "sync_status", "last_calcom_sync", "problem"]


def _not_used(sources: SourcesResource, tenant: str, source: str) -> dg.AssetCheckResult | None:
    if sources.resolve(tenant, source) is None:
        return dg.AssetCheckResult(passed=True, metadata={"tenant": tenant, "status": f"{source} not used"})
    return None


def team_id_result(warehouse: WarehouseResource, tenant: str) -> dg.AssetCheckResult:
    with warehouse.engine.connect() as conn:
        snap = invariants.load_booking(conn, tenant)
    violations = invariants.team_id_violations(snap)
    contaminated = [v for v in violations if invariants.is_contamination(v)]
    nulls = [v for v in violations if "null_team" in v["kinds"]]
    metadata = {
        "tenant": tenant, "mappings_checked": len(snap.mappings), "violations": len(violations),
        "contaminated_mappings": len(contaminated), "null_team_mappings": len(nulls),
        "calcom_event_types_known": len(snap.event_types or []),
        "violation_list": dg.MetadataValue.md(md_table(violations, TEAM_COLUMNS, limit=50)),
    }
    if violations:
        metadata["what_to_look_at"] = (
            f"mapping(s) {', '.join(v['mapping_id'] for v in violations)} in the booking database of {tenant}: "
            "set calcom_team_id to the company's Cal.com team (expected_team) or remove the mapping; "
            "until then booking_sync_health is not published")
    return dg.AssetCheckResult(
        passed=not violations, metadata=metadata,
        severity=dg.AssetCheckSeverity.WARN if violations and not contaminated else dg.AssetCheckSeverity.ERROR,
        description=(f"{len(contaminated)} mapping(s) route to another team, {len(nulls)} without team"
                     if violations else "every mapping carries its company's Cal.com team"))


def sync_status_result(warehouse: WarehouseResource, tenant: str) -> dg.AssetCheckResult:
    with warehouse.engine.connect() as conn:
        snap = invariants.load_booking(conn, tenant)
    violations = invariants.sync_status_violations(snap)
    counts = invariants.status_counts(snap)
    metadata = {"tenant": tenant, "services_checked": len(snap.services), "violations": len(violations),
                "counts_per_status": dg.MetadataValue.json(counts),
                **{f"status_{status}": n for status, n in counts.items()},
                "violation_list": dg.MetadataValue.md(md_table(violations, SERVICE_COLUMNS, limit=50))}
    if violations:
        metadata["what_to_look_at"] = (
            f"service(s) {', '.join(str(v['service_id']) for v in violations)} of {tenant}: re-run the Cal.com "
            "sync of the booking app or correct sync_status (see each row's problem)")
    return dg.AssetCheckResult(passed=not violations, severity=dg.AssetCheckSeverity.WARN, metadata=metadata,
                               description=f"{len(violations)} service(s) with a wrong sync status" if violations
                               else "every service with an event type is synced")


def _deps(candidates: list[dg.AssetKey], existing: set[dg.AssetKey], own: dg.AssetKey) -> list[dg.AssetKey]:
    return [k for k in candidates if k in existing and k != own]


def booking_checks(partitions: dg.PartitionsDefinition, existing: set[dg.AssetKey]) -> list[dg.AssetChecksDefinition]:
    checks = []
    if MAPPINGS in existing:
        @dg.asset_check(asset=MAPPINGS, name=CHECK_TEAM_ID, blocking=True, partitions_def=partitions,
                        additional_deps=_deps([COMPANIES, SERVICES, EVENT_TYPES], existing, MAPPINGS))
        def team_id_invariant(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
                              sources: SourcesResource) -> dg.AssetCheckResult:
            """Team-ID invariant. Every event-type mapping of the tenant must carry a Cal.com team id, that
            team id must equal its company's Cal.com team id, and Cal.com itself must list the mapped event
            type under that team. A mapping that routes to another team (possible cross-tenant contamination:
            bookings landing at the wrong company) fails with ERROR and, being blocking, stops
            booking_sync_health in the same run; mappings that only lack a team id fail with WARN.
            Metadata lists each violation with company, service, event type, expected and actual team."""
            return _not_used(sources, context.partition_key, "booking_db") or team_id_result(
                warehouse, context.partition_key)

        checks.append(team_id_invariant)
    if SERVICES in existing:
        @dg.asset_check(asset=SERVICES, name=CHECK_SYNC_STATUS, partitions_def=partitions,
                        additional_deps=_deps([COMPANIES, EVENT_TYPES], existing, SERVICES))
        def sync_status_invariant(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
                                  sources: SourcesResource) -> dg.AssetCheckResult:
            """Sync-status invariant (WARN). Every service with a Cal.com event type must be `synced`; a
            `synced` service whose event type Cal.com no longer lists is flagged too. Metadata: counts per
            status and the offending services with their status, last sync and what is wrong."""
            return _not_used(sources, context.partition_key, "booking_db") or sync_status_result(
                warehouse, context.partition_key)

        checks.append(sync_status_invariant)
    return checks


def _orphan_check(ref: integrity.Reference, partitions: dg.PartitionsDefinition,
                  existing: set[dg.AssetKey]) -> dg.AssetChecksDefinition:
    child = dg.AssetKey([RAW_PREFIX, ref.source, ref.child])
    parents = [dg.AssetKey([RAW_PREFIX, ref.source, p]) for p in ref.parents]

    @dg.asset_check(asset=child, name=CHECK_ORPHANS, partitions_def=partitions,
                    additional_deps=_deps(parents, existing, child),
                    description=f"Referential integrity (WARN): {ref.label}. Every {ref.child} record that names a "
                                f"contact must name a live {ref.source} contact of the same tenant; orphans "
                                "(contact unknown or deleted) are listed. Empty references are allowed.")
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
               sources: SourcesResource) -> dg.AssetCheckResult:
        tenant = context.partition_key
        if (skip := _not_used(sources, tenant, ref.source)) is not None:
            return skip
        with warehouse.engine.connect() as conn:
            result = integrity.orphans(conn, tenant, ref)
        found = result["orphans"]
        metadata = {"tenant": tenant, "references_checked": result["checked"], "orphans": len(found),
                    "contact_column": str(result["column"]), "contact_table": str(result["parent_table"]),
                    "orphan_list": dg.MetadataValue.md(md_table(found, limit=50))}
        if found:
            metadata["what_to_look_at"] = (f"{len(found)} {ref.source} {ref.child} of {tenant} point at a contact "
                                           f"that is not in raw {ref.source} contacts: check the contact sync")
        return dg.AssetCheckResult(passed=not found, severity=dg.AssetCheckSeverity.WARN, metadata=metadata)

    return _check


def integrity_checks(partitions: dg.PartitionsDefinition, existing: set[dg.AssetKey]) -> list:
    return [_orphan_check(ref, partitions, existing) for ref in integrity.REFERENCES
            if dg.AssetKey([RAW_PREFIX, ref.source, ref.child]) in existing]


def freshness_metadata(tenant: str, source: str, object_name: str, result: dict) -> dict:
    metadata = {"tenant": tenant, **{k: v for k, v in result.items() if k != "fresh" and v is not None}}
    if not result["fresh"]:
        metadata["what_to_look_at"] = (f"{source} {object_name} of {tenant} has not synced successfully "
                                       f"for {result['age_minutes'] or 'ever'} min: look at the latest failed run "
                                       "and sync_runs.message (unconfigured secrets, API errors)")
    return metadata


def _freshness_check(key: dg.AssetKey, partitions: dg.PartitionsDefinition,
                     now: Callable[[], dt.datetime]) -> dg.AssetChecksDefinition:
    source, object_name = key.path[1], key.path[2]
    window = freshness_window(source)

    @dg.asset_check(asset=key, name=CHECK_FRESHNESS, partitions_def=partitions,
                    description=f"Freshness per tenant (WARN): the tenant's last succeeded {source} {object_name} "
                                f"sync (table sync_runs) must be at most {window} old. Tenants that do not use "
                                f"{source} pass. Evaluated with every sync (an 'unconfigured' or failing tenant turns stale); between syncs Dagster's FreshnessPolicy on the asset watches it.")
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
               sources: SourcesResource) -> dg.AssetCheckResult:
        tenant = context.partition_key
        if (skip := _not_used(sources, tenant, source)) is not None:
            return skip
        with warehouse.engine.connect() as conn:
            result = freshness.check_freshness(conn, tenant, source, object_name, window, now())
        return dg.AssetCheckResult(passed=result["fresh"], severity=dg.AssetCheckSeverity.WARN,
                                   metadata=freshness_metadata(tenant, source, object_name, result))

    return _check


def freshness_checks(partitions: dg.PartitionsDefinition, raw_keys: list[dg.AssetKey],
                     now: Callable[[], dt.datetime] | None = None) -> list[dg.AssetChecksDefinition]:
    clock = now or (lambda: dt.datetime.now(dt.timezone.utc))
    return [_freshness_check(k, partitions, clock) for k in raw_keys]
