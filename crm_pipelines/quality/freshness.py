"""Freshness per tenant and source object, from the warehouse's own run log (``sync_runs``).

Dagster's ``FreshnessPolicy`` judges an asset as a whole; a tenant partition that stopped syncing
is only visible per tenant, so this rule reads the latest *succeeded* sync of one tenant's
(source, object) and compares its age with the allowed window.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from crm_pipelines.quality.rows import table_columns


def _aware(value: dt.datetime | str | None) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def last_success(conn: sa.Connection, tenant_id: str, source: str, object_name: str) -> dt.datetime | None:
    if table_columns(conn, "sync_runs") is None:
        return None
    runs = sa.table("sync_runs", sa.column("tenant_id"), sa.column("source"), sa.column("object"),
                    sa.column("status"), sa.column("finished_at"))
    value = conn.execute(sa.select(sa.func.max(runs.c.finished_at)).where(
        runs.c.tenant_id == tenant_id, runs.c.source == source, runs.c.object == object_name,
        runs.c.status == "succeeded")).scalar()
    return _aware(value)


def evaluate(last: dt.datetime | None, window: dt.timedelta, now: dt.datetime) -> dict[str, Any]:
    """Pure: ``{"fresh", "last_success", "age_minutes", "window_minutes"}``."""
    age = None if last is None else (now - last)
    return {"fresh": age is not None and age <= window,
            "last_success": last.isoformat() if last else None,
            "age_minutes": None if age is None else round(age.total_seconds() / 60, 1),
            "window_minutes": round(window.total_seconds() / 60)}


def check_freshness(conn: sa.Connection, tenant_id: str, source: str, object_name: str,
                    window: dt.timedelta, now: dt.datetime | None = None) -> dict[str, Any]:
    return evaluate(last_success(conn, tenant_id, source, object_name), window,
                    now or dt.datetime.now(dt.timezone.utc))
