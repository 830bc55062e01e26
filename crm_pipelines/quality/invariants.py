"""The booking incident's two rules, per tenant: the team-ID invariant and the sync-status invariant.

Inputs are the tenant's live raw rows of the booking app (``companies``, ``services``, ``mappings``)
and of Cal.com (``event_types``); ``load_booking`` reads them, the rule functions are pure.

Team-ID invariant, per mapping row:
  * ``null_team``              the mapping has no Cal.com team id;
  * ``company_unknown``        the mapping's company is not one of this tenant's companies;
  * ``team_mismatch``          the mapping's team id differs from its company's Cal.com team id
                               (bookings could land at another company: cross-tenant contamination);
  * ``event_type_other_team``  Cal.com says the mapped event type belongs to another team;
  * ``event_type_not_in_team`` Cal.com does not list the mapped event type for the company's team.
The last two are evaluated only when Cal.com event types were ingested for the tenant.

Sync-status invariant, per service: a service with an event type must be ``synced``; a ``synced``
service whose event type Cal.com no longer lists (or that has none) is flagged too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from crm_pipelines.quality.rows import key, live_rows

COMPANIES, SERVICES, MAPPINGS = "raw_booking_db_companies", "raw_booking_db_services", "raw_booking_db_mappings"
EVENT_TYPES = "raw_calcom_event_types"
CONTAMINATION = frozenset({"company_unknown", "team_mismatch", "event_type_other_team", "event_type_not_in_team"})
SYNCED = "synced"


@dataclass
class BookingSnapshot:
    """One tenant's booking rows. ``event_types`` is None when Cal.com was not ingested for the tenant."""

    companies: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    mappings: list[dict[str, Any]] = field(default_factory=list)
    event_types: list[dict[str, Any]] | None = None
    booking_ingested: bool = True

    def company_by_id(self) -> dict[str | None, dict]:
        return {_id(c, "company_id"): c for c in self.companies}

    def service_by_id(self) -> dict[str | None, dict]:
        return {_id(s, "service_id"): s for s in self.services}

    def event_type_by_id(self) -> dict[str | None, dict] | None:
        return None if self.event_types is None else {key(e.get("source_id")): e for e in self.event_types}


def _id(row: dict, column: str) -> str | None:
    return key(row.get(column)) if row.get(column) is not None else key(row.get("source_id"))


def load_booking(conn: sa.Connection, tenant_id: str) -> BookingSnapshot:
    """Read the tenant's live booking and Cal.com rows (every query filtered by ``tenant_id``)."""
    companies = live_rows(conn, COMPANIES, tenant_id)
    services = live_rows(conn, SERVICES, tenant_id)
    mappings = live_rows(conn, MAPPINGS, tenant_id)
    event_types = live_rows(conn, EVENT_TYPES, tenant_id, ["source_id", "team_id", "title"])
    ingested = bool(companies or services or mappings)
    return BookingSnapshot(companies=companies or [], services=services or [], mappings=mappings or [],
                           event_types=event_types or None, booking_ingested=ingested)


def _label(name: Any, ident: Any) -> str:
    return f"{name} ({ident})" if name else str(ident) if ident is not None else ""


def team_id_violations(snap: BookingSnapshot) -> list[dict[str, Any]]:
    """One row per mapping that breaks the team-ID invariant, with every problem it has."""
    companies, services, event_types = snap.company_by_id(), snap.service_by_id(), snap.event_type_by_id()
    out = []
    for m in sorted(snap.mappings, key=lambda r: key(r.get("mapping_id") or r.get("source_id")) or ""):
        company = companies.get(key(m.get("company_id")))
        service = services.get(key(m.get("service_id"))) or {}
        expected = key(company.get("calcom_team_id")) if company else None
        actual = key(m.get("calcom_team_id"))
        et_id = key(m.get("calcom_event_type_id"))
        et = event_types.get(et_id) if event_types is not None else None
        calcom_team = key(et.get("team_id")) if et else None
        problems: list[tuple[str, str]] = []
        if actual is None:
            problems.append(("null_team", "mapping has no Cal.com team id"))
        if company is None:
            problems.append(("company_unknown", f"company {m.get('company_id')} is not a company of this tenant"))
        elif actual is not None and actual != expected:
            problems.append(("team_mismatch", f"mapping team {actual} differs from the company's team {expected}: "
                                              "bookings could land at another company"))
        if event_types is not None and et_id is not None and company is not None:
            if et is None:
                problems.append(("event_type_not_in_team",
                                 f"Cal.com does not list event type {et_id} for team {expected}"))
            elif calcom_team != expected:
                problems.append(("event_type_other_team",
                                 f"Cal.com says event type {et_id} belongs to team {calcom_team}, not {expected}"))
        if problems:
            out.append({
                "mapping_id": key(m.get("mapping_id") or m.get("source_id")),
                "company": _label((company or {}).get("name"), m.get("company_id")),
                "service": _label(service.get("name"), m.get("service_id")),
                "event_type": _label((et or {}).get("title"), et_id),
                "expected_team": expected, "actual_team": actual, "calcom_team": calcom_team,
                "kinds": [k for k, _ in problems], "problem": "; ".join(text for _, text in problems),
            })
    return out


def is_contamination(violation: dict[str, Any]) -> bool:
    """True when a violation can route bookings to another company (blocks publishing)."""
    return bool(CONTAMINATION & set(violation["kinds"]))


def status_counts(snap: BookingSnapshot) -> dict[str, int]:
    """Number of services per ``sync_status`` (``null`` for a missing status)."""
    return dict(sorted(Counter(str(s.get("sync_status") or "null") for s in snap.services).items()))


def sync_status_violations(snap: BookingSnapshot) -> list[dict[str, Any]]:
    """Services with an event type that are not ``synced``, and ``synced`` ones Cal.com does not know."""
    companies, event_types = snap.company_by_id(), snap.event_type_by_id()
    out = []
    for s in sorted(snap.services, key=lambda r: key(r.get("service_id") or r.get("source_id")) or ""):
        status, et_id = s.get("sync_status"), key(s.get("calcom_event_type_id"))
        problem = None
        if et_id is not None and status != SYNCED:
            problem = f"has Cal.com event type {et_id} but sync_status is {status or 'NULL'}"
        elif status == SYNCED and et_id is None:
            problem = "marked synced but has no Cal.com event type"
        elif status == SYNCED and event_types is not None and et_id not in event_types:
            problem = f"marked synced but Cal.com no longer lists event type {et_id}"
        if problem:
            company = companies.get(key(s.get("company_id"))) or {}
            out.append({"service_id": _id(s, "service_id"), "service": s.get("name"),
                        "company": _label(company.get("name"), s.get("company_id")), "event_type": et_id,
                        "sync_status": status, "last_calcom_sync": s.get("last_calcom_sync"),
                        "sync_error": s.get("sync_error"), "problem": problem})
    return out


def check_team_ids(conn: sa.Connection, tenant_id: str) -> list[dict[str, Any]]:
    return team_id_violations(load_booking(conn, tenant_id))


def check_sync_status(conn: sa.Connection, tenant_id: str) -> list[dict[str, Any]]:
    return sync_status_violations(load_booking(conn, tenant_id))
