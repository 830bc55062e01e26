"""Golden-table rules per tenant: tenant isolation (must block publishing) and health (to look at).

Functions take a connection, a tenant id and, optionally, the table names (so the lead can point
them at staging tables before a publish). Every query is filtered by the tenant being checked; the
isolation rule learns only *which* other tenant a row of this tenant points at, never its data.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from crm_pipelines.quality.rows import table_columns


MERGE_DECISIONS = ("auto_merge", "match", "merge")


@dataclass(frozen=True)
class GoldenTables:
    """Table names (``schema.table`` for a table of an attached database). ``staged``: the golden,
    xref, pairs and review tables are a staging's (``in_schema`` points them at a staging file)."""
    golden: str = "golden_contacts"
    xref: str = "golden_contact_xref"
    canonical: str = "canonical_contacts"
    pairs: str = "match_pairs"
    review: str = "match_review_queue"
    rejects: str = "contact_rejects"
    staged: bool = False

    def in_schema(self, schema: str) -> "GoldenTables":
        """The resolution's tables (not the canonical contacts and rejects) in ``schema``."""
        return replace(self, **{k: f"{schema}.{getattr(self, k)}" for k in ("golden", "xref", "pairs", "review")})


@dataclass(frozen=True)
class HealthThresholds:
    duplicate_probability: float = 0.995  # an undecided pair at or above this across two golden ids is left
    max_duplicates_left: int = 0
    max_review_queue: int = 200
    max_reject_share: float = 0.05
    max_orphan_golden: int = 0
    max_unlinked_canonical: int = 0


def _t(name: str, *cols: str) -> sa.TableClause:
    schema, _, table = name.rpartition(".")
    return sa.table(table, *(sa.column(c) for c in cols), schema=schema or None)


def _exists(conn: sa.Connection, *names: str) -> bool:
    return all(table_columns(conn, n) is not None for n in names)


def isolation_violations(conn: sa.Connection, tenant_id: str, tables: GoldenTables = GoldenTables(),
                         limit: int = 50) -> list[dict[str, Any]]:
    """Rows of this tenant that point into another tenant:

    * ``xref_golden_other_tenant``: an xref row of this tenant names a golden id that this tenant
      does not have but another tenant does;
    * ``xref_record_other_tenant``: an xref row of this tenant links a source record that this
      tenant's canonical contacts do not hold but another tenant's do (a foreign record in our golden);
    * ``golden_id_of_other_tenant``: a golden id of this tenant also exists at another tenant (in this
      table or the published golden table). Ids are minted per tenant, so only corruption shares one.
    """
    if not _exists(conn, tables.golden, tables.xref):
        return []
    # Other tenants' keys are grouped once (one row per key, with one of its tenants) and joined to this
    # tenant's rows: the golden and canonical tables are indexed by tenant first, so a join on the key
    # alone scanned the other table once per row of this tenant (an xref of 1M records ran for more
    # than ten minutes on SQLite).
    x = _t(tables.xref, "tenant_id", "source", "source_id", "golden_id").alias("x")
    g = _t(tables.golden, "tenant_id", "golden_id")
    own_g = g.alias("own_g")
    out = []
    other_g = _of_other_tenants(g, ("golden_id",), tenant_id, "other_g")
    query = (sa.select(x.c.source, x.c.source_id, x.c.golden_id, other_g.c.other_tenant)
             .join(other_g, other_g.c.golden_id == x.c.golden_id)
             .where(x.c.tenant_id == tenant_id,
                    ~sa.exists().where(own_g.c.tenant_id == tenant_id, own_g.c.golden_id == x.c.golden_id))
             .limit(limit))
    out += [{"kind": "xref_golden_other_tenant", **dict(r._mapping)} for r in conn.execute(query)]
    for other_name in dict.fromkeys((tables.golden, "golden_contacts")):
        if not _exists(conn, other_name):
            continue
        other = _of_other_tenants(_t(other_name, "tenant_id", "golden_id"), ("golden_id",), tenant_id, "other")
        query = (sa.select(own_g.c.golden_id, other.c.other_tenant)
                 .join(other, other.c.golden_id == own_g.c.golden_id)
                 .where(own_g.c.tenant_id == tenant_id).limit(limit))
        out += [{"kind": "golden_id_of_other_tenant", **dict(r._mapping)} for r in conn.execute(query)]
    if _exists(conn, tables.canonical):
        c = _t(tables.canonical, "tenant_id", "source", "source_id")
        own_c = c.alias("own_c")
        other_c = _of_other_tenants(c, ("source", "source_id"), tenant_id, "other_c")
        query = (sa.select(x.c.source, x.c.source_id, x.c.golden_id, other_c.c.other_tenant)
                 .join(other_c, sa.and_(other_c.c.source == x.c.source, other_c.c.source_id == x.c.source_id))
                 .where(x.c.tenant_id == tenant_id, ~sa.exists().where(
                     own_c.c.tenant_id == tenant_id, own_c.c.source == x.c.source, own_c.c.source_id == x.c.source_id))
                 .limit(limit))
        out += [{"kind": "xref_record_other_tenant", **dict(r._mapping)} for r in conn.execute(query)]
    return out


def _of_other_tenants(table: sa.TableClause, key: tuple[str, ...], tenant_id: str, name: str) -> sa.Subquery:
    """The keys of ``table``'s rows of every other tenant, each once, with one of those tenants
    (``other_tenant``, the first by name)."""
    columns = [table.c[k] for k in key]
    return (sa.select(*columns, sa.func.min(table.c.tenant_id).label("other_tenant"))
            .where(table.c.tenant_id != tenant_id).group_by(*columns).subquery(name))


def _count(conn: sa.Connection, query: sa.Select) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one())


def health(conn: sa.Connection, tenant_id: str, tables: GoldenTables = GoldenTables(),
           thresholds: HealthThresholds = HealthThresholds()) -> dict[str, Any]:
    """Figures and the list of breached thresholds: ``{"figures": {...}, "problems": [...]}``."""
    figures: dict[str, Any] = {}
    problems: list[str] = []
    if not _exists(conn, tables.golden, tables.xref):
        return {"figures": {"golden_tables": "missing"}, "problems": []}
    g = _t(tables.golden, "tenant_id", "golden_id")
    x = _t(tables.xref, "tenant_id", "source", "source_id", "golden_id")
    figures["golden_contacts"] = _count(conn, sa.select(g.c.golden_id).where(g.c.tenant_id == tenant_id))
    figures["golden_without_records"] = _count(conn, sa.select(g.c.golden_id).where(
        g.c.tenant_id == tenant_id, ~sa.exists().where(x.c.tenant_id == tenant_id, x.c.golden_id == g.c.golden_id)))
    figures["xref_dangling"] = _count(conn, sa.select(x.c.source_id).where(
        x.c.tenant_id == tenant_id, ~sa.exists().where(g.c.tenant_id == tenant_id, g.c.golden_id == x.c.golden_id)))
    if _exists(conn, tables.canonical):
        c = _t(tables.canonical, "tenant_id", "source", "source_id", "is_deleted")
        canonical = sa.select(c.c.source_id).where(c.c.tenant_id == tenant_id,
                                                   sa.or_(c.c.is_deleted.is_(False), c.c.is_deleted.is_(None)))
        figures["canonical_contacts"] = _count(conn, canonical)
        figures["canonical_without_golden"] = _count(conn, canonical.where(~sa.exists().where(
            x.c.tenant_id == tenant_id, x.c.source == c.c.source, x.c.source_id == c.c.source_id)))
    if _exists(conn, tables.pairs):
        # a pair the matcher decided to merge (or, undecided, scored above the auto-merge probability)
        # whose records still sit in two golden contacts; pairs sent to review or vetoed are not counted
        p = _t(tables.pairs, "tenant_id", "golden_id_a", "golden_id_b", "match_probability", "decision")
        merge = sa.or_(p.c.decision.in_(MERGE_DECISIONS), sa.and_(
            p.c.decision.is_(None), p.c.match_probability >= thresholds.duplicate_probability))
        figures["duplicates_left"] = _count(conn, sa.select(p.c.golden_id_a).where(
            p.c.tenant_id == tenant_id, p.c.golden_id_a != p.c.golden_id_b, merge))
    if _exists(conn, tables.review):
        r = _t(tables.review, "tenant_id", "id")
        figures["review_queue"] = _count(conn, sa.select(r.c.tenant_id).where(r.c.tenant_id == tenant_id))
    if _exists(conn, tables.rejects):
        rj = _t(tables.rejects, "tenant_id")
        rejected = _count(conn, sa.select(rj.c.tenant_id).where(rj.c.tenant_id == tenant_id))
        total = rejected + int(figures.get("canonical_contacts", 0))
        figures["rejected"] = rejected
        figures["reject_share"] = round(rejected / total, 4) if total else 0.0
    for name, limit in (("duplicates_left", thresholds.max_duplicates_left),
                        ("review_queue", thresholds.max_review_queue),
                        ("golden_without_records", thresholds.max_orphan_golden),
                        ("canonical_without_golden", thresholds.max_unlinked_canonical),
                        ("xref_dangling", 0), ("reject_share", thresholds.max_reject_share)):
        if name in figures and figures[name] > limit:
            problems.append(f"{name} = {figures[name]} (allowed {limit})")
    return {"figures": figures, "problems": problems}
