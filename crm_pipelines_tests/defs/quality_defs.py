"""Helpers for the data-quality Dagster tests: a tenants file, stub raw assets, resources."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from crm_pipelines.defs.partitions import tenant_partitions
from crm_pipelines.defs.resources import SourcesResource, WarehouseResource

TENANTS = ["t1", "t2", "t3"]
PARTITIONS = tenant_partitions(TENANTS)


def tenants_file(path: Path) -> Path:
    """t1 and t2 use the booking app, Cal.com and Lexware; t3 only Lexware."""
    booking = ["      booking_db:", "        base_url: sqlite:///unused.sqlite",
               "        credentials: {database_url: BOOKING_DB_URL}", "        options: {company_ids: [1]}",
               "      calcom:", "        base_url: emulator://calcom", "        credentials: {api_key: CALCOM_KEY}",
               "        options: {team_ids: [41]}"]
    lexware = ["      lexware:", "        base_url: emulator://lexware", "        credentials: {api_key: LEX_KEY}"]
    lines = ["tenants:"]
    for tenant in TENANTS:
        lines += [f"  - id: {tenant}", f"    name: Tenant {tenant}", "    sources:"]
        lines += (booking if tenant != "t3" else []) + lexware
    path.write_text("\n".join(lines) + "\n")
    return path


def stub_raw_assets(keys: list[str]) -> list[dg.AssetsDefinition]:
    """Assets with the raw keys that only report: the rows are crafted in the warehouse beforehand."""
    out = []
    for key in keys:
        asset_key = dg.AssetKey(key.split("/"))

        @dg.asset(key=asset_key, partitions_def=PARTITIONS, name=None)
        def _stub() -> dg.MaterializeResult:
            """Stub raw asset for tests."""
            return dg.MaterializeResult()

        out.append(_stub)
    return out


def resources(tmp_path: Path, url: str) -> dict:
    return {"warehouse": WarehouseResource(url=url),
            "sources": SourcesResource(tenants_file=str(tenants_file(tmp_path / "tenants.yaml")))}
