"""A staging started before the resolution is complete (``Staging.early``, called by
``resolve_tenant(on_links=...)`` before survivorship and written from a background thread while the
resolve goes on) stages exactly what ``stage`` stages, in one transaction that an error in the
resolve, or a resolution that does not match, leaves unwritten."""

from __future__ import annotations

import threading
import time

import pandas as pd
import psutil
import pytest
import sqlalchemy as sa

from crm_pipelines.core.config import MatchConfig
from crm_pipelines.core.golden.resolve import resolve_tenant
from crm_pipelines.warehouse import sqlite_bulk
from crm_pipelines.warehouse import staging as staging_module
from crm_pipelines.warehouse.staging import STAGING_TABLES, Staging, attach_staged, publish, stage

from ..core.conftest import NOW, frame, person

TENANT = "tenant-a"


def _contacts() -> pd.DataFrame:
    drafts = [person(f"p{k}", f"Vorname{k}", f"Nachname{k}", tenant=TENANT, emails=[("work", f"p{k}@x{k}.de")],
                     phones=[("mobile", f"0171 {3000000 + k}")], postal_code=f"{20000 + k}") for k in range(30)]
    drafts += [person(f"p{k}", f"Vorname{k}", f"Nachname{k}", tenant=TENANT, source="ms365",
                      emails=[("work", f"P{k}@X{k}.de")]) for k in range(10)]
    return frame(drafts)


def _dump(engine, table: sa.Table, tenant: str = TENANT) -> list[tuple]:
    """Every staged row of ``table`` (in the tenant's staging file, if it has one; batch ids and file
    names masked), with each value's storage class on SQLite."""
    with engine.connect() as conn:
        schema = attach_staged(conn, tenant) if table in staging_module.STAGING.values() else None
        source = table if schema is None else table.to_metadata(sa.MetaData(), schema=schema)
        cols = [c for c in source.c if c.name not in ("batch_id", "staged_at", "staged_file")]
        typed = [sa.func.typeof(c) for c in cols] if engine.dialect.name == "sqlite" else []
        rows = conn.execute(sa.select(*cols, *typed)).all()
    return sorted(map(tuple, rows), key=repr)


def _staged(engine) -> dict[str, list[tuple]]:
    return {table.name: _dump(engine, table) for table in STAGING_TABLES}


def _writers(monkeypatch) -> list[str]:
    """The threads that wrote staged rows: the bulk writer's caller on SQLite, COPY's on PostgreSQL."""
    threads, write, insert = [], sqlite_bulk.write, staging_module.insert_frame

    def spy_write(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return write(*args, **kwargs)

    def spy_insert(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return insert(*args, **kwargs)

    monkeypatch.setattr(sqlite_bulk, "write", spy_write)
    monkeypatch.setattr(staging_module, "insert_frame", spy_insert)
    return threads


def _no_writer_left() -> None:
    assert not [t for t in threading.enumerate() if t.name.startswith("staging-")], "a staging thread outlived its staging"
    helpers = []
    for child in psutil.Process().children(recursive=True):
        try:
            if str(sqlite_bulk.HELPER) in child.cmdline():
                helpers.append(child)
        except psutil.NoSuchProcess:
            pass
    assert not helpers, "a bulk writer process outlived its staging"


def test_an_early_staging_stages_what_stage_stages_from_a_background_thread(engine, monkeypatch):
    contacts = _contacts()
    with engine.begin() as conn:
        expected_counts = stage(conn, TENANT, resolve_tenant(contacts, None, None, MatchConfig(), NOW))
    expected = _staged(engine)

    writers = _writers(monkeypatch)
    with Staging(engine, TENANT, bulk_values=0) as staging:  # any size: written in the background
        resolution = resolve_tenant(contacts, None, None, MatchConfig(), NOW, on_links=staging.early)
        counts = staging.finish(resolution)
        # the staging lets go of the resolution's tables once they are written, and finishes only once
        assert staging.early_frames == {}
        with pytest.raises(RuntimeError, match="called already"):
            staging.finish(resolution)
    assert writers and set(writers) == {f"staging-{TENANT}"}, writers
    assert counts == expected_counts and counts["pairs"] > 0 and counts["golden_contacts"] == 30
    assert _staged(engine) == expected
    _no_writer_left()
    with engine.begin() as conn:
        assert publish(conn, TENANT)["xref"] == 40


def test_a_resolve_that_fails_after_the_early_tables_leaves_the_previous_staging(engine):
    contacts = _contacts()
    with engine.begin() as conn:
        stage(conn, TENANT, resolve_tenant(contacts, None, None, MatchConfig(), NOW))
    before = _staged(engine)

    def early_then_fail(frames):
        staging.early(frames)
        raise RuntimeError("survivorship failed")

    with pytest.raises(RuntimeError, match="survivorship failed"):
        with Staging(engine, TENANT, bulk_values=0) as staging:
            resolve_tenant(contacts.iloc[:-5], None, None, MatchConfig(), NOW, on_links=early_then_fail)
    assert _staged(engine) == before
    _no_writer_left()


def test_a_failed_staging_file_leaves_the_previous_staging_file(tmp_path):
    """On a SQLite file: a full staging is a file; a second staging that fails after its early tables
    leaves the first one named, on disk and whole, and no temporary file behind."""
    from crm_pipelines.warehouse.engine import ensure_schema, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'files.sqlite'}")
    ensure_schema(engine)
    contacts = _contacts()
    with Staging(engine, TENANT, bulk_values=0) as staging:
        staging.finish(resolve_tenant(contacts, None, None, MatchConfig(), NOW, on_links=staging.early))
    folder = staging_module.staging_dir(engine.url.database)
    first = sorted(p.name for p in folder.iterdir())
    before = _staged(engine)
    assert len(first) == 1 and not first[0].endswith(".tmp") and len(before["stg_golden_contact_xref"]) == 40

    def early_then_fail(frames):
        staging.early(frames)
        deadline = time.monotonic() + 30
        while not list(folder.glob("*.tmp")) and time.monotonic() < deadline:  # the helper has opened its file
            time.sleep(0.01)
        assert list(folder.glob("*.tmp")), "the staging file was not started"
        raise RuntimeError("survivorship failed")

    with pytest.raises(RuntimeError, match="survivorship failed"):
        with Staging(engine, TENANT, bulk_values=0) as staging:
            resolve_tenant(contacts.iloc[:-5], None, None, MatchConfig(), NOW, on_links=early_then_fail)
    assert sorted(p.name for p in folder.iterdir()) == first
    assert _staged(engine) == before
    _no_writer_left()
    with engine.begin() as conn:  # and it still publishes
        assert publish(conn, TENANT)["xref"] == 40
    engine.dispose()


def test_finishing_with_another_resolution_than_the_early_tables_writes_nothing(engine):
    contacts = _contacts()
    with engine.begin() as conn:
        stage(conn, TENANT, resolve_tenant(contacts, None, None, MatchConfig(), NOW))
    before = _staged(engine)
    other = resolve_tenant(contacts.iloc[:-5], None, None, MatchConfig(), NOW)
    with pytest.raises(ValueError, match="another resolution"):
        with Staging(engine, TENANT, bulk_values=0) as staging:
            resolve_tenant(contacts, None, None, MatchConfig(), NOW, on_links=staging.early)
            staging.finish(other)
    assert _staged(engine) == before
    _no_writer_left()


def test_early_tables_of_another_tenant_are_refused_before_anything_is_written(engine):
    with Staging(engine, "tenant-b", bulk_values=0) as staging:
        with pytest.raises(ValueError, match="tenant"):
            resolve_tenant(_contacts(), None, None, MatchConfig(), NOW, on_links=staging.early)
    assert all(rows == [] for rows in _staged(engine).values())
    _no_writer_left()


def test_an_unconvertible_early_table_falls_back_to_the_in_process_staging(tmp_path, monkeypatch):
    from crm_pipelines.warehouse.engine import ensure_schema, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'convert.sqlite'}")
    ensure_schema(engine)
    contacts = _contacts()

    def odd_history(frames):  # numbers in a text column: Arrow refuses them, SQLite stores them as text
        frames["link_history"]["reason"] = 7
        staging.early(frames)

    with Staging(engine, TENANT, bulk_values=0) as staging:
        resolution = resolve_tenant(contacts, None, None, MatchConfig(), NOW, on_links=odd_history)
        counts = staging.finish(resolution)
    assert counts["link_history"] == len(resolution.link_history) == 40
    history = staging_module.STAGING["link_history"]
    with engine.connect() as conn:
        reasons = conn.execute(sa.select(history.c.reason, sa.func.typeof(history.c.reason)).distinct()).all()
    assert [tuple(r) for r in reasons] == [("7", "text")]
    assert len(_dump(engine, staging_module.STAGING["golden_contacts"])) == 30
    _no_writer_left()
    engine.dispose()
