"""Craft raw rows directly in a SQLite warehouse (made with make_engine + ensure_schema)."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from crm_pipelines.warehouse.engine import ensure_schema, make_engine

NOW = dt.datetime(2025, 3, 3, 12, 0, tzinfo=dt.timezone.utc)
# columns we rely on, used only when a source's raw table is not registered yet
_FALLBACK = {
    "raw_booking_db_companies": {"company_id": sa.BigInteger, "name": sa.Text, "calcom_team_id": sa.BigInteger},
    "raw_booking_db_services": {"service_id": sa.BigInteger, "company_id": sa.BigInteger, "name": sa.Text,
                                "calcom_event_type_id": sa.BigInteger, "sync_status": sa.Text,
                                "last_calcom_sync": sa.Text, "sync_error": sa.Text},
    "raw_booking_db_mappings": {"mapping_id": sa.BigInteger, "company_id": sa.BigInteger,
                                "service_id": sa.BigInteger, "calcom_event_type_id": sa.BigInteger,
                                "calcom_team_id": sa.BigInteger},
    "raw_calcom_event_types": {"team_id": sa.BigInteger, "title": sa.Text},
    "raw_lexware_contacts": {"name": sa.Text},
    "raw_lexware_vouchers": {"contact_id": sa.Text, "voucher_number": sa.Text},
    "raw_weclapp_tasks": {"customer_id": sa.Text, "title": sa.Text},
    "raw_weclapp_parties": {"name": sa.Text},
}


def make_warehouse(tmp_path) -> sa.Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'wh.sqlite'}")
    ensure_schema(engine)
    inspector = sa.inspect(engine)
    extra = sa.MetaData()
    for name, cols in _FALLBACK.items():
        if name == "raw_weclapp_parties" and (inspector.has_table("raw_weclapp_contacts")
                                              or inspector.has_table("raw_weclapp_party")):
            continue
        if not inspector.has_table(name):
            sa.Table(name, extra, sa.Column("tenant_id", sa.Text, primary_key=True),
                     sa.Column("source_id", sa.Text, primary_key=True), sa.Column("content_hash", sa.Text),
                     sa.Column("is_deleted", sa.Boolean, default=False), sa.Column("payload", sa.Text),
                     sa.Column("first_seen_at", sa.DateTime(timezone=True)),
                     sa.Column("updated_at", sa.DateTime(timezone=True)),
                     sa.Column("deleted_at", sa.DateTime(timezone=True)), sa.Column("run_id", sa.Text),
                     *(sa.Column(c, t) for c, t in cols.items()))
    extra.create_all(engine)
    return engine


def insert(engine: sa.Engine, table: str, tenant: str, rows: list[dict]) -> None:
    reflected = sa.Table(table, sa.MetaData(), autoload_with=engine)
    full = []
    for row in rows:
        row = dict(row)
        full.append({"tenant_id": tenant, "source_id": str(row.pop("source_id")), "content_hash": "h",
                     "is_deleted": row.pop("is_deleted", False), "payload": json.dumps(row, default=str),
                     "first_seen_at": NOW, "updated_at": NOW, "run_id": "test",
                     **{k: v for k, v in row.items() if k in reflected.c}})
    with engine.begin() as conn:
        conn.execute(reflected.insert(), full)


def booking_world(engine: sa.Engine, tenant: str = "t1", company_id: int = 1, team: int = 41, *,
                  null_team_mapping: bool = False, foreign_team: int | None = None,
                  unsynced: tuple[int, ...] = (), with_event_types: bool = True) -> None:
    """A company with three services mapped to its team's three event types, and one service without
    an event type; defects switched on by arguments."""
    insert(engine, "raw_booking_db_companies", tenant,
           [{"source_id": company_id, "company_id": company_id, "name": f"Firma {company_id}",
             "calcom_team_id": team}])
    services, mappings, types = [], [], []
    for n in (1, 2, 3):
        sid, et = company_id * 100 + n, team * 100 + n
        services.append({"source_id": sid, "service_id": sid, "company_id": company_id, "name": f"Leistung {n}",
                         "calcom_event_type_id": et, "sync_status": "never" if n in unsynced else "synced"})
        mappings.append({"source_id": company_id * 1000 + n, "mapping_id": company_id * 1000 + n,
                         "company_id": company_id, "service_id": sid, "calcom_event_type_id": et,
                         "calcom_team_id": team})
        types.append({"source_id": et, "team_id": team, "title": f"Termin {n}"})
    services.append({"source_id": company_id * 100 + 9, "service_id": company_id * 100 + 9,
                     "company_id": company_id, "name": "Notdienst", "calcom_event_type_id": None,
                     "sync_status": "never"})
    if null_team_mapping:
        mappings[0]["calcom_team_id"] = None
    if foreign_team is not None:
        mappings[1]["calcom_team_id"] = foreign_team
    insert(engine, "raw_booking_db_services", tenant, services)
    insert(engine, "raw_booking_db_mappings", tenant, mappings)
    if with_event_types:
        insert(engine, "raw_calcom_event_types", tenant, types)
