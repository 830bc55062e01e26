"""Staging copies of the golden tables: a resolution is written here first, checked, then published.

Publishing copies one tenant's staged rows into the published tables in one transaction, so a
blocking check on the staged data stops a bad golden table from ever becoming visible.
"""

from __future__ import annotations

import sqlalchemy as sa

from crm_pipelines.warehouse import golden_tables as gt
from crm_pipelines.warehouse.frames import replace_tenant_frame
from crm_pipelines.warehouse.schema import metadata

PUBLISHED = {"golden_contacts": gt.golden_contacts, "xref": gt.golden_contact_xref, "aliases": gt.golden_aliases,
             "pairs": gt.match_pairs, "patterns": gt.match_patterns, "review_queue": gt.match_review_queue,
             "link_history": gt.golden_link_history}
APPENDED = {"link_history"}  # history is appended on publish; everything else is replaced per tenant


def _staging_copy(table: sa.Table) -> sa.Table:
    """Same columns, no keys: staging is bulk-written once per run and read per tenant, so it only
    carries a tenant index (keys are enforced when the rows are copied into the published table)."""
    columns = [sa.Column(c.name, c.type, index=c.name == "tenant_id") for c in table.c if c.name != "id"]
    return sa.Table(f"stg_{table.name}", metadata, *columns, comment=f"staging for {table.name}")


STAGING = {name: _staging_copy(table) for name, table in PUBLISHED.items()}


def stage(conn: sa.Connection, tenant_id: str, resolution) -> dict[str, int]:
    """Inside the caller's transaction: the tenant's staged rows become those of ``resolution`` (an
    object with one DataFrame attribute per ``STAGING`` name, e.g. a core ``Resolution``)."""
    return {name: replace_tenant_frame(conn, table, tenant_id, getattr(resolution, name))
            for name, table in STAGING.items()}


def publish(conn: sa.Connection, tenant_id: str) -> dict[str, int]:
    """Inside the caller's transaction: staged rows of the tenant become the published rows."""
    counts = {}
    for name, published in PUBLISHED.items():
        staged = STAGING[name]
        columns = [c.name for c in published.c if not (c.primary_key and c.autoincrement is True)]
        if name not in APPENDED:
            conn.execute(published.delete().where(published.c.tenant_id == tenant_id))
        conn.execute(published.insert().from_select(
            columns, sa.select(*(staged.c[c] for c in columns)).where(staged.c.tenant_id == tenant_id)))
        counts[name] = conn.execute(sa.select(sa.func.count()).select_from(published).where(
            published.c.tenant_id == tenant_id)).scalar_one()
    return counts
