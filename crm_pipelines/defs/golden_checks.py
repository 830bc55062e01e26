"""Golden-table checks per tenant, as a factory the lead can attach to the golden asset.

* ``golden_tenant_isolation`` — blocking ERROR: no xref row of the tenant points at another tenant's
  golden id or source record. Blocks everything downstream of the golden table in the same run.
* ``golden_health`` — WARN: duplicates left above the auto-merge probability, review-queue size,
  share of rejected records, golden contacts without source records, xref completeness.
"""

import dagster as dg

from crm_pipelines.defs.constants import CHECK_GOLDEN_HEALTH, CHECK_GOLDEN_ISOLATION
from crm_pipelines.defs.markdown import md_table
from crm_pipelines.defs.resources import WarehouseResource
from crm_pipelines.quality.golden_health import GoldenTables, HealthThresholds, health, isolation_violations
from crm_pipelines.warehouse.staging import attach_staged


def golden_checks(partitions: dg.PartitionsDefinition, golden_key: dg.AssetKey,
                  tables: GoldenTables = GoldenTables(), thresholds: HealthThresholds = HealthThresholds(),
                  additional_deps: list[dg.AssetKey] | None = None, isolation_key: dg.AssetKey | None = None,
                  isolation_tables: GoldenTables | None = None) -> list[dg.AssetChecksDefinition]:
    """``isolation_key``/``isolation_tables``: where the blocking isolation check runs (the staged
    resolution, so a violation stops the publish); by default the golden table itself."""
    isolation_tables = isolation_tables or tables

    @dg.asset_check(asset=isolation_key or golden_key, name=CHECK_GOLDEN_ISOLATION, blocking=True,
                    partitions_def=partitions,
                    additional_deps=additional_deps or None)
    def golden_tenant_isolation(context: dg.AssetCheckExecutionContext,
                                warehouse: WarehouseResource) -> dg.AssetCheckResult:
        """Tenant isolation of the golden table (blocking ERROR): no golden contact of this tenant holds a
        source record of another tenant, and no xref row of this tenant points at another tenant's golden
        id. Anything downstream of the golden table is not published in the same run while it fails."""
        tenant = context.partition_key
        with warehouse.engine.connect() as conn:
            tables = isolation_tables
            # a large staging on SQLite is a file of its own: attached, and its tables checked
            schema = attach_staged(conn, tenant) if tables.staged else None
            violations = isolation_violations(conn, tenant, tables.in_schema(schema) if schema else tables)
        metadata = {"tenant": tenant, "violations": len(violations),
                    "violation_list": dg.MetadataValue.md(md_table(violations, limit=50))}
        if violations:
            metadata["what_to_look_at"] = (f"{len(violations)} xref row(s) of {tenant} point into another tenant: "
                                           "do not publish; inspect golden_contact_xref and the golden run's input")
        return dg.AssetCheckResult(passed=not violations, severity=dg.AssetCheckSeverity.ERROR, metadata=metadata)

    @dg.asset_check(asset=golden_key, name=CHECK_GOLDEN_HEALTH, partitions_def=partitions,
                    additional_deps=additional_deps or None)
    def golden_health(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        """Golden-table health (WARN): duplicates left across golden contacts above the auto-merge
        probability, size of the review queue, share of rejected records, golden contacts without any
        source record, and xref completeness (every canonical contact has exactly one golden id)."""
        tenant = context.partition_key
        with warehouse.engine.connect() as conn:
            report = health(conn, tenant, tables, thresholds)
        metadata = {"tenant": tenant, **{k: v for k, v in report["figures"].items()},
                    "problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in report["problems"]) or "_none_")}
        if report["problems"]:
            metadata["what_to_look_at"] = "; ".join(report["problems"])
        return dg.AssetCheckResult(passed=not report["problems"], severity=dg.AssetCheckSeverity.WARN,
                                   metadata=metadata)

    return [golden_tenant_isolation, golden_health]
