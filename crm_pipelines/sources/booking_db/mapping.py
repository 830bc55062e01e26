"""Booking app rows (companies, services, mappings) -> typed raw-table rows.

The connector hands over each table row as a dict with the app's own column names (ints as int,
timestamps as ISO 8601 text in UTC). Values are kept exactly as stored: a mapping's
``calcom_team_id`` may be NULL or another company's team id, which is what the team-ID invariant
checks look for, so nothing here "repairs" it.
"""

from __future__ import annotations

from typing import Any

from crm_pipelines.sources.base import Column

COMPANY_COLUMNS = (
    Column("company_id", "int", "the booking app's company id"),
    Column("name", "str"),
    Column("calcom_team_id", "int", "the company's Cal.com team id (NULL: no team)"),
)

SERVICE_COLUMNS = (
    Column("service_id", "int"),
    Column("company_id", "int"),
    Column("name", "str"),
    Column("calcom_event_type_id", "int", "the Cal.com event type the service books (NULL: none)"),
    Column("sync_status", "str", "synced | pending | never"),
    Column("last_calcom_sync", "str", "ISO 8601 (UTC) of the last successful sync, or NULL"),
    Column("sync_error", "str", "the last sync error message, or NULL"),
)

MAPPING_COLUMNS = (
    Column("mapping_id", "int"),
    Column("company_id", "int", "the company the mapping row belongs to"),
    Column("service_id", "int"),
    Column("calcom_event_type_id", "int"),
    Column("calcom_team_id", "int", "team id written on the mapping: may be NULL or another company's "
                                    "team id (the defects the team-ID invariant catches)"),
)

KEYS = {"companies": "company_id", "services": "service_id", "mappings": "mapping_id"}
COLUMNS = {"companies": COMPANY_COLUMNS, "services": SERVICE_COLUMNS, "mappings": MAPPING_COLUMNS}


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    return int(value)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _row(object_name: str, raw: dict) -> dict:
    key = KEYS[object_name]
    if raw.get(key) is None:
        raise ValueError(f"{object_name} row without {key}")
    row: dict[str, Any] = {"source_id": str(_int(raw[key]))}
    for column in COLUMNS[object_name]:
        value = raw.get(column.name)
        row[column.name] = _int(value) if column.type == "int" else _str(value)
    return row


def company_row(raw: dict) -> dict:
    return _row("companies", raw)


def service_row(raw: dict) -> dict:
    return _row("services", raw)


def mapping_row(raw: dict) -> dict:
    return _row("mappings", raw)
