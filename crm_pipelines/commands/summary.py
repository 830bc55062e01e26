"""The short summary ``crm-pipelines run`` prints: rows per table per tenant, check results, where data is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from crm_pipelines import settings
from crm_pipelines.warehouse.engine import ensure_schema, make_engine
from crm_pipelines.warehouse.schema import metadata


def table_counts(url: str, tenants: list[str]) -> dict[str, dict[str, int]]:
    """table -> tenant -> live rows (deleted raw rows are not counted)."""
    engine = make_engine(url)
    ensure_schema(engine)
    counts: dict[str, dict[str, int]] = {}
    try:
        with engine.connect() as conn:
            for table in sorted(metadata.tables.values(), key=lambda t: t.name):
                if "tenant_id" not in table.c or table.name.startswith("stg_"):
                    continue
                query = sa.select(table.c.tenant_id, sa.func.count()).where(table.c.tenant_id.in_(tenants))
                if "is_deleted" in table.c and table.name.startswith("raw_"):
                    query = query.where(table.c.is_deleted.is_(False))
                rows = conn.execute(query.group_by(table.c.tenant_id)).all()
                if rows:
                    counts[table.name] = {tenant: n for tenant, n in rows}
    finally:
        engine.dispose()
    return counts


def print_summary(tenants: list[str], evaluations: list[tuple[str, Any]], failed_steps: list[str],
                  warehouse_url: str, dagster_home: Path) -> None:
    counts = table_counts(warehouse_url, tenants)
    width = max([len(t) for t in counts] + [10])
    print("\nRows per table per tenant")
    print("  " + "table".ljust(width) + "".join(t[:16].rjust(18) for t in tenants))
    for table, per_tenant in counts.items():
        print("  " + table.ljust(width) + "".join(str(per_tenant.get(t, 0)).rjust(18) for t in tenants))
    if evaluations:
        print("\nAsset checks")
        for tenant, ev in sorted(evaluations, key=lambda e: (e[0], e[1].asset_key.to_user_string(), e[1].check_name)):
            status = "PASS" if ev.passed else f"FAIL ({ev.severity.value})"
            print(f"  {tenant:<18} {ev.asset_key.to_user_string() + ':' + ev.check_name:<60} {status}")
    if failed_steps:
        print("\nFailed steps")
        for line in failed_steps:
            print(f"  {line}")
    print(f"\nWarehouse: {settings.redact_url(warehouse_url)}")
    print(f"Dagster instance (DAGSTER_HOME): {dagster_home}   -> browse it with `make dev`")
