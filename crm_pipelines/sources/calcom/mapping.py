"""Cal.com team event types (TeamEventTypeOutput, API version 2024-06-14) -> typed raw-table rows.

``team_id`` is the column the team-ID invariant checks compare with the booking app's mapping
table, so it is kept exactly as Cal.com sends it (an int, or None). The legacy shape (answers
without the ``cal-api-version`` header) names the duration ``length`` instead of
``lengthInMinutes``; both are read. ``json`` columns are stored as JSON text.
"""

from __future__ import annotations

import json
from typing import Any

from crm_pipelines.sources.base import Column

EVENT_TYPE_COLUMNS = (
    Column("team_id", "int", "teamId: the Cal.com team owning the event type (checked against the "
                             "booking app's mappings)"),
    Column("owner_id", "int", "ownerId: null for team event types"),
    Column("title", "str"),
    Column("slug", "str"),
    Column("length_in_minutes", "int", "lengthInMinutes (legacy shape: length)"),
    Column("scheduling_type", "str", "roundRobin | collective | managed | null"),
    Column("parent_event_type_id", "int", "set on managed children: the parent team event type"),
    Column("hidden", "bool", "hidden from the booking page"),
    Column("host_count", "int", "number of hosts"),
    Column("hosts", "json", "hosts [{userId, name, username, mandatory?, priority?}] as JSON text"),
)


def _int(value: Any) -> int | None:
    """Cal.com sends ints; a numeric string (some proxies, the legacy shape) is accepted too."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    return int(value)


def event_type_row(raw: dict) -> dict:
    if raw.get("id") in (None, ""):
        raise ValueError("event type without 'id'")
    hosts = raw.get("hosts") if isinstance(raw.get("hosts"), list) else []
    length = raw.get("lengthInMinutes", raw.get("length"))
    hidden = raw.get("hidden")
    return {
        "source_id": str(raw["id"]),
        "team_id": _int(raw.get("teamId")),
        "owner_id": _int(raw.get("ownerId")),
        "title": raw.get("title"),
        "slug": raw.get("slug"),
        "length_in_minutes": _int(length),
        "scheduling_type": raw.get("schedulingType"),
        "parent_event_type_id": _int(raw.get("parentEventTypeId")),
        "hidden": None if hidden is None else bool(hidden),
        "host_count": len(hosts),
        "hosts": json.dumps(hosts, ensure_ascii=False, sort_keys=True),
    }
