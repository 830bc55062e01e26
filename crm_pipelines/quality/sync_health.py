"""The sync-health dashboard: one row per booking service of a tenant, with its mapping, its team
ids (company, mapping, Cal.com) and whether it breaks an invariant. Replaced per tenant atomically."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from crm_pipelines.quality.invariants import BookingSnapshot, sync_status_violations, team_id_violations
from crm_pipelines.quality.rows import key
from crm_pipelines.warehouse.schema import metadata

booking_sync_health = sa.Table(
    "booking_sync_health", metadata,
    sa.Column("tenant_id", sa.String(255), primary_key=True),
    sa.Column("service_id", sa.String(64), primary_key=True),
    sa.Column("service", sa.Text), sa.Column("company", sa.Text),
    sa.Column("calcom_event_type_id", sa.String(64)), sa.Column("event_type_title", sa.Text),
    sa.Column("sync_status", sa.String(32)), sa.Column("last_calcom_sync", sa.Text), sa.Column("sync_error", sa.Text),
    sa.Column("mapping_id", sa.String(64)), sa.Column("company_team_id", sa.String(64)),
    sa.Column("mapping_team_id", sa.String(64)), sa.Column("calcom_team_id", sa.String(64)),
    sa.Column("in_calcom", sa.Boolean), sa.Column("healthy", sa.Boolean, nullable=False),
    sa.Column("problems", sa.Text), sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    comment="per service: mapping, team ids and sync status, with the invariant problems it has",
)
COLUMNS = [c.name for c in booking_sync_health.columns]


def health_rows(tenant_id: str, snap: BookingSnapshot, now: dt.datetime) -> list[dict[str, Any]]:
    """Pure: the dashboard rows of one tenant."""
    companies, event_types = snap.company_by_id(), snap.event_type_by_id()
    mapping_by_service = {key(m.get("service_id")): m for m in snap.mappings}
    team_problems = {v["mapping_id"]: v["problem"] for v in team_id_violations(snap)}
    status_problems = {v["service_id"]: v["problem"] for v in sync_status_violations(snap)}
    rows = []
    for s in snap.services:
        sid = key(s.get("service_id") if s.get("service_id") is not None else s.get("source_id"))
        m = mapping_by_service.get(sid) or {}
        mid = key(m.get("mapping_id") if m.get("mapping_id") is not None else m.get("source_id"))
        company = companies.get(key(s.get("company_id"))) or {}
        et_id = key(s.get("calcom_event_type_id"))
        et = (event_types or {}).get(et_id) if et_id else None
        problems = [p for p in (status_problems.get(sid), team_problems.get(mid) if mid else None) if p]
        rows.append({
            "tenant_id": tenant_id, "service_id": sid, "service": s.get("name"),
            "company": company.get("name") or key(s.get("company_id")), "calcom_event_type_id": et_id,
            "event_type_title": (et or {}).get("title"), "sync_status": s.get("sync_status"),
            "last_calcom_sync": None if s.get("last_calcom_sync") is None else str(s.get("last_calcom_sync")),
            "sync_error": s.get("sync_error"), "mapping_id": mid,
            "company_team_id": key(company.get("calcom_team_id")), "mapping_team_id": key(m.get("calcom_team_id")),
            "calcom_team_id": key((et or {}).get("team_id")),
            "in_calcom": None if event_types is None or et_id is None else et is not None,
            "healthy": not problems, "problems": "; ".join(problems) or None, "computed_at": now})
    return sorted(rows, key=lambda r: r["service_id"] or "")


def publish(engine: sa.Engine, tenant_id: str, rows: list[dict[str, Any]]) -> None:
    """Replace the tenant's rows in one transaction."""
    booking_sync_health.create(engine, checkfirst=True)
    with engine.begin() as conn:
        conn.execute(booking_sync_health.delete().where(booking_sync_health.c.tenant_id == tenant_id))
        if rows:
            conn.execute(booking_sync_health.insert(), rows)
