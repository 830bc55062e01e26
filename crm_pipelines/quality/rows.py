"""Read one tenant's live rows of a warehouse table by name, without depending on the source registry.

Tables are looked up by name and their columns reflected, so a rule works as soon as a source's raw
table exists, and a missing table or column reads as "not ingested" instead of an error.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

_SKIP = {"payload", "content_hash", "first_seen_at", "updated_at", "deleted_at", "run_id"}


def table_columns(conn: sa.Connection, name: str) -> list[str] | None:
    """Column names of ``name`` (``schema.table`` in an attached database), or None when the table
    does not exist."""
    inspector = sa.inspect(conn)
    schema, _, table = name.rpartition(".")
    if not inspector.has_table(table, schema=schema or None):
        return None
    return [c["name"] for c in inspector.get_columns(table, schema=schema or None)]


def live_rows(conn: sa.Connection, name: str, tenant_id: str, columns: list[str] | None = None
              ) -> list[dict[str, Any]] | None:
    """The tenant's rows that are not deleted (raw tables) as dicts; None when the table is missing."""
    present = table_columns(conn, name)
    if present is None:
        return None
    wanted = [c for c in (columns or present) if c in present and c not in _SKIP]
    table = sa.table(name, *(sa.column(c) for c in set(wanted) | {"tenant_id"} | (
        {"is_deleted"} if "is_deleted" in present else set())))
    query = sa.select(*(table.c[c] for c in wanted)).where(table.c.tenant_id == tenant_id)
    if "is_deleted" in present:
        query = query.where(sa.or_(table.c.is_deleted.is_(False), table.c.is_deleted.is_(None)))
    return [dict(r._mapping) for r in conn.execute(query)]


def key(value: Any) -> str | None:
    """Ids compared as text: ``101``, ``"101"`` and ``101.0`` are the same id; empty is None."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None
