"""Raw ingest assets, one per (source, object), built from the source registry (never copied per source).

Each materialization, for one tenant partition: resolve the tenant's source config (skip and
report ``unconfigured`` when its secrets are not set), fetch with the stored cursor, load
atomically (rows + cursor + ``sync_runs`` row in one transaction), and report counts and a preview.
"""


import time

import dagster as dg
import sqlalchemy as sa

from crm_pipelines.defs.constants import OWNER, RAW_PREFIX, TAG_SOURCE, raw_group, source_pool
from crm_pipelines.defs.markdown import md_table
from crm_pipelines.defs.resources import SourcesResource, WarehouseResource
from crm_pipelines.sources._http import SourceError
from crm_pipelines.sources.base import ObjectSpec, SourceDefinition
from crm_pipelines.sources.registry import SOURCES
from crm_pipelines.warehouse.raw_load import RunInfo, apply_fetch, read_cursor, record_outcome, utcnow
from crm_pipelines.warehouse.tables import raw_table

_SCHEMA_TYPES = {"str": "string", "int": "int", "float": "float", "bool": "bool", "datetime": "timestamp",
                 "json": "json"}


def raw_asset_key(source: str, object_name: str) -> dg.AssetKey:
    return dg.AssetKey([RAW_PREFIX, source, object_name])


def _column_schema(spec: ObjectSpec) -> dg.TableSchema:
    base = [dg.TableColumn("tenant_id", "string"), dg.TableColumn("source_id", "string"),
            dg.TableColumn("content_hash", "string"), dg.TableColumn("is_deleted", "bool"),
            dg.TableColumn("payload", "json", description="the record exactly as the API sent it")]
    return dg.TableSchema(columns=base + [dg.TableColumn(c.name, _SCHEMA_TYPES[c.type], description=c.description)
                                          for c in spec.columns])


def _summary(engine: sa.Engine, table: sa.Table, tenant_id: str, spec: ObjectSpec) -> tuple[int, str]:
    live = (table.c.tenant_id == tenant_id) & (table.c.is_deleted.is_(False))
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(table).where(live)).scalar_one()
        columns = ["source_id", *(c.name for c in spec.columns)]
        rows = [dict(r._mapping) for r in conn.execute(
            sa.select(*(table.c[c] for c in columns)).where(live).order_by(table.c.source_id).limit(10))]
    return count, md_table(rows, columns)


def ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource, sources: SourcesResource,
           source: SourceDefinition, spec: ObjectSpec) -> dg.MaterializeResult:
    tenant_id = context.partition_key
    run = RunInfo(context.run.run_id, tenant_id, source.name, spec.name, utcnow())
    table = raw_table(source.name, spec.name)
    resolved = sources.resolve(tenant_id, source.name)
    if resolved is None:
        context.log.info(f"{source.title} is not used by tenant {tenant_id}: nothing to do")
        return dg.MaterializeResult(metadata={"status": "not used by this tenant", "dagster/row_count": 0})
    if not resolved.configured:
        message = f"{source.title} is unconfigured for tenant {tenant_id}: {resolved.unconfigured_reason}"
        context.log.warning(message + "; skipped")
        record_outcome(warehouse.engine, run, "unconfigured", resolved.unconfigured_reason or "")
        count, preview = _summary(warehouse.engine, table, tenant_id, spec)
        return dg.MaterializeResult(metadata={"status": "unconfigured", "reason": resolved.unconfigured_reason,
                                              "dagster/row_count": count, "preview": dg.MetadataValue.md(preview)})
    cursor = read_cursor(warehouse.engine, tenant_id, source.name, spec.name)
    connector = sources.connect(resolved)
    started = time.monotonic()
    try:
        result = connector.fetch(spec.name, cursor)
    except SourceError as exc:
        record_outcome(warehouse.engine, run, "failed", str(exc))
        raise dg.Failure(description=f"{source.title} {spec.name} failed for tenant {tenant_id}; the previous "
                                     f"data and cursor are kept. {exc}",
                         metadata={"source": source.name, "tenant": tenant_id, "endpoint": exc.endpoint,
                                   "status": str(exc.status)}) from None
    finally:
        connector.close()
    stats = apply_fetch(warehouse.engine, run, records=result.records, complete=result.complete,
                        deleted_ids=result.deleted_ids, to_row=spec.to_row, cursor=result.cursor,
                        requests=result.requests, fetch_errors=result.errors,
                        present_ids=result.present_ids)
    for sample in stats.error_samples:
        context.log.warning(f"quarantined a record of {source.name}.{spec.name}: {sample}")
    count, preview = _summary(warehouse.engine, table, tenant_id, spec)
    context.log.info(f"{source.name}.{spec.name} [{tenant_id}]: {stats.as_dict()} in {result.requests} requests")
    return dg.MaterializeResult(metadata={
        "status": "succeeded", "mode": "full" if result.complete else "incremental",
        "dagster/row_count": count, **stats.as_dict(), "requests": result.requests,
        "fetch_seconds": round(time.monotonic() - started, 3), "table": table.name,
        "warehouse": warehouse.display_url, "preview": dg.MetadataValue.md(preview)})


def build_ingest_asset(source: SourceDefinition, spec: ObjectSpec,
                       partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=raw_asset_key(source.name, spec.name),
        description=f"{source.title} {spec.name}, raw, per tenant. {spec.description}",
        group_name=raw_group(source.name),
        kinds=set(sorted(source.kinds)[:2]) | {"table"},
        owners=[OWNER],
        tags={TAG_SOURCE: source.name},
        partitions_def=partitions,
        pool=source_pool(source.name),
        metadata={"dagster/table_name": raw_table(source.name, spec.name).name,
                  "dagster/column_schema": _column_schema(spec), "source_docs": source.docs_url},
    )
    def _ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                sources: SourcesResource) -> dg.MaterializeResult:
        return ingest(context, warehouse, sources, source, spec)

    return _ingest


def build_ingest_assets(partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    return [build_ingest_asset(source, spec, partitions) for source in SOURCES.values() for spec in source.objects]
