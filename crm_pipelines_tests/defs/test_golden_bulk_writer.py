"""The golden pipeline publishes the same tables whether its stagings go through the SQLite bulk
writer (a helper process) and its reads through the bulk reader (another), or both stay in process:
a full run, then a run with changed, deleted and new records whose delta is staged by the same
writer."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crm_pipelines.core.canonical import normalize_drafts
from crm_pipelines.core.golden.order import in_key_order
from crm_pipelines.core.synth import generate
from crm_pipelines.defs.golden_logic import build_golden, publish_golden
from crm_pipelines.warehouse import golden_tables as gt
from crm_pipelines.warehouse import frames, sqlite_bulk, sqlite_read, staging
from crm_pipelines.warehouse.engine import ensure_schema, make_engine
from crm_pipelines.warehouse.frames import insert_frame, read_tenant_frame

from ..core.conftest import NOW


def _published(engine, tenant: str) -> dict[str, pd.DataFrame]:
    out = {}
    with engine.connect() as conn:
        for name, table in staging.PUBLISHED.items():
            frame = read_tenant_frame(conn, table, tenant).drop(columns=["id", "batch_id"], errors="ignore")
            out[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return out


def _chain(tmp_path, monkeypatch, name: str, contacts: pd.DataFrame) -> tuple[dict, list[str]]:
    """A full run, then 1 in 100 records moved, 1 in 197 deleted and 10 new ones, on a fresh warehouse
    and data folder; returns the published tables and the modes of the two runs."""
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path / name))
    engine = make_engine(f"sqlite:///{tmp_path / name}.sqlite")
    ensure_schema(engine)
    tenant = str(contacts["tenant_id"].iloc[0])
    table = gt.canonical_contacts
    with engine.begin() as conn:
        insert_frame(conn, table, contacts.iloc[20:])
    modes = [build_golden(engine, tenant, None, NOW).stats["mode"]]
    publish_golden(engine, tenant)
    moved = contacts.iloc[20::100]
    with engine.begin() as conn:
        conn.execute(table.update().where(table.c.tenant_id == tenant, table.c.source == sa.bindparam("s"),
                                          table.c.source_id == sa.bindparam("i")).values(
            city="Neustadt", city_key="neustadt", content_hash=sa.bindparam("h")),
            [{"s": s, "i": i, "h": f"moved-{i}"} for s, i in zip(moved["source"], moved["source_id"])])
        gone = contacts.iloc[23::197]
        conn.execute(table.delete().where(table.c.tenant_id == tenant, sa.tuple_(table.c.source, table.c.source_id).in_(
            list(zip(gone["source"], gone["source_id"])))))
        insert_frame(conn, table, contacts.iloc[10:20])
    modes.append(build_golden(engine, tenant, None, NOW + dt.timedelta(days=1)).stats["mode"])
    publish_golden(engine, tenant)
    published = _published(engine, tenant)
    engine.dispose()
    return published, modes


def test_the_bulk_writer_publishes_what_the_in_process_path_publishes(tmp_path, monkeypatch):
    contacts = in_key_order(normalize_drafts([d for batch, _ in generate(1500, seed=21) for d in batch]).contacts)
    here, here_modes = _chain(tmp_path, monkeypatch, "here", contacts)

    bulk_writes, write = [], sqlite_bulk.write

    def spy(database, steps, *args, **kwargs):
        frames = []  # the frames the writer took (the steps may come from a generator)
        write(database, (frames.append(s) or s if isinstance(s, tuple) else s for s in steps), *args, **kwargs)
        bulk_writes.append(len(frames))

    monkeypatch.setattr(sqlite_bulk, "write", spy)
    monkeypatch.setattr(staging, "BULK_VALUES", 0)  # every staging, the delta's too, through the helper
    monkeypatch.setattr(frames, "READ_BULK_VALUES", 0)  # and every read of a tenant's rows through the reader
    reads, read = [], sqlite_read.read_tenant

    def read_spy(*args, **kwargs):
        reads.append(args[1].name)
        return read(*args, **kwargs)

    monkeypatch.setattr(sqlite_read, "read_tenant", read_spy)
    bulk, bulk_modes = _chain(tmp_path, monkeypatch, "bulk", contacts)

    assert here_modes == bulk_modes == ["full", "incremental"]
    assert len(bulk_writes) == 2, "both stagings should have gone through the bulk writer"
    assert {"canonical_contacts", "golden_contact_xref"} <= set(reads), reads
    # every table of the full staging, early or not, as rows; but the first run's history, selected
    # from the staged xref (one "linked" event per record)
    assert bulk_writes[0] == len(staging.STAGING) - len(staging.DERIVED_FROM), bulk_writes
    assert len(here["xref"]) == len(contacts) - 10 - len(contacts.iloc[23::197]) and len(here["pairs"]) > 0
    assert np.unique(here["link_history"]["event"]).size > 1  # the second run moved records
    for name in staging.PUBLISHED:
        pd.testing.assert_frame_equal(bulk[name], here[name], check_dtype=False, check_exact=True, obj=name)
