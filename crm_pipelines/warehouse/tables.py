"""Every warehouse table, declared once: raw tables built from the source registry, the run log,
the cursors; golden tables come from ``golden_tables``. Importing this module registers them all."""

from __future__ import annotations

import importlib

import sqlalchemy as sa

from crm_pipelines.sources.base import ObjectSpec, SourceDefinition
from crm_pipelines.sources.registry import SOURCES
from crm_pipelines.warehouse.schema import metadata

_SA_TYPES = {"str": sa.Text, "int": sa.BigInteger, "float": sa.Float, "bool": sa.Boolean,
             "datetime": sa.DateTime(timezone=True), "json": sa.Text}
RAW_BASE_COLUMNS = ("tenant_id", "source_id", "content_hash", "is_deleted", "payload",
                    "first_seen_at", "updated_at", "deleted_at", "run_id")

sync_runs = sa.Table(
    "sync_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Text, nullable=False),
    sa.Column("tenant_id", sa.Text, nullable=False, index=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("object", sa.Text, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # succeeded | failed | unconfigured
    sa.Column("mode", sa.Text),  # full | incremental
    sa.Column("fetched", sa.Integer, nullable=False, default=0),
    sa.Column("inserted", sa.Integer, nullable=False, default=0),
    sa.Column("updated", sa.Integer, nullable=False, default=0),
    sa.Column("unchanged", sa.Integer, nullable=False, default=0),
    sa.Column("deleted", sa.Integer, nullable=False, default=0),
    sa.Column("errors", sa.Integer, nullable=False, default=0),
    sa.Column("requests", sa.Integer, nullable=False, default=0),
    sa.Column("duration_s", sa.Float, nullable=False, default=0.0),
    sa.Column("message", sa.Text),
)

sync_cursors = sa.Table(
    "sync_cursors", metadata,
    sa.Column("tenant_id", sa.Text, primary_key=True),
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("object", sa.Text, primary_key=True),
    sa.Column("cursor", sa.Text, nullable=False),  # JSON
    sa.Column("run_id", sa.Text),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

ingest_errors = sa.Table(  # per-record problems of a fetch, kept with their reason (quarantine)
    "ingest_errors", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.Text, nullable=False, index=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("object", sa.Text, nullable=False),
    sa.Column("run_id", sa.Text, nullable=False),
    sa.Column("source_id", sa.Text),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("payload", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


def raw_table_name(source: str, object_name: str) -> str:
    return f"raw_{source}_{object_name}"


def _raw_table(source: SourceDefinition, spec: ObjectSpec) -> sa.Table:
    """``to_row`` may also return ``is_deleted`` (a base column): the source's own soft delete."""
    clashes = {c.name for c in spec.columns} & set(RAW_BASE_COLUMNS)
    if clashes:
        raise ValueError(f"{source.name}.{spec.name}: columns {sorted(clashes)} clash with base columns")
    return sa.Table(
        raw_table_name(source.name, spec.name), metadata,
        sa.Column("tenant_id", sa.Text, primary_key=True),
        sa.Column("source_id", sa.Text, primary_key=True),
        sa.Column("content_hash", sa.Text, nullable=False),
        sa.Column("is_deleted", sa.Boolean, nullable=False, default=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("run_id", sa.Text),
        *(sa.Column(c.name, _SA_TYPES[c.type], comment=c.description or None) for c in spec.columns),
        comment=f"{source.title}: {spec.description}",
    )


RAW_TABLES: dict[tuple[str, str], sa.Table] = {
    (source.name, spec.name): _raw_table(source, spec) for source in SOURCES.values() for spec in source.objects}


def raw_table(source: str, object_name: str) -> sa.Table:
    return RAW_TABLES[(source, object_name)]


# the golden tables (declared beside the core's outputs) and their staging copies
importlib.import_module("crm_pipelines.warehouse.golden_tables")
importlib.import_module("crm_pipelines.warehouse.staging")

golden_contact_activity = sa.Table(  # vouchers, tasks, ... per golden contact, across sources
    "golden_contact_activity", metadata,
    sa.Column("tenant_id", sa.Text, primary_key=True),
    sa.Column("golden_id", sa.Text, primary_key=True),
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("object", sa.Text, primary_key=True),
    sa.Column("items", sa.Integer, nullable=False),
    sa.Column("open_items", sa.Integer, nullable=False),
    sa.Column("total_amount", sa.Float),
    sa.Column("open_amount", sa.Float),
    comment="Per golden contact: its vouchers, tasks, ... of every source, linked through the xref",
)
