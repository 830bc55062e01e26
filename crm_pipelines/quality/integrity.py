"""Referential integrity per tenant: vouchers and tasks whose contact is unknown, per source.

A reference names the child table, the candidate columns that hold the contact id, and the
candidate parent tables (the first that exists is used), so it keeps working while a source's
column names settle. An empty reference (Lexware's collective contacts) is not an orphan; a
reference to a contact that exists but is deleted is reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from crm_pipelines.quality.rows import key, live_rows, table_columns


@dataclass(frozen=True)
class Reference:
    source: str
    child: str  # object holding the reference, e.g. vouchers
    columns: tuple[str, ...]  # candidate contact-id columns, first present wins
    parents: tuple[str, ...]  # candidate contact objects of the same source, first present wins
    label: str = ""

    @property
    def child_table(self) -> str:
        return f"raw_{self.source}_{self.child}"


REFERENCES = (
    Reference("lexware", "vouchers", ("contact_id",), ("contacts",), "Lexware vouchers → contacts"),
    Reference("weclapp", "tasks", ("customer_id", "party_id", "contact_id"), ("contacts", "parties", "party"),
              "weclapp tasks → parties"),
)


def references_for(source: str, child: str) -> list[Reference]:
    return [r for r in REFERENCES if r.source == source and r.child == child]


def orphans(conn: sa.Connection, tenant_id: str, ref: Reference) -> dict[str, Any]:
    """``{"applicable", "checked", "orphans": [...], "column", "parent_table"}`` for one tenant."""
    columns = table_columns(conn, ref.child_table)
    column = next((c for c in ref.columns if columns and c in columns), None)
    parent = next((f"raw_{ref.source}_{p}" for p in ref.parents
                   if table_columns(conn, f"raw_{ref.source}_{p}") is not None), None)
    if column is None or parent is None:
        return {"applicable": False, "checked": 0, "orphans": [], "column": column, "parent_table": parent}
    children = live_rows(conn, ref.child_table, tenant_id) or []
    parent_table = sa.table(parent, sa.column("tenant_id"), sa.column("source_id"), sa.column("is_deleted"))
    status = {key(r.source_id): bool(r.is_deleted) for r in conn.execute(
        sa.select(parent_table.c.source_id, parent_table.c.is_deleted).where(parent_table.c.tenant_id == tenant_id))}
    found, checked = [], 0
    for row in sorted(children, key=lambda r: str(r.get("source_id"))):
        ref_id = key(row.get(column))
        if ref_id is None:
            continue
        checked += 1
        if ref_id not in status or status[ref_id]:
            found.append({"source": ref.source, "object": ref.child, "record": row.get("source_id"),
                          "number": row.get("voucher_number") or row.get("title") or row.get("subject"),
                          "contact_id": ref_id,
                          "problem": "contact deleted" if ref_id in status else "contact unknown"})
    return {"applicable": True, "checked": checked, "orphans": found, "column": column, "parent_table": parent}
