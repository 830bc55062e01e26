"""The SQLite bulk writer (a helper process that binds rows from Arrow): it stages exactly what the
in-process path stages, value for value and type for type, in one transaction that a failure or an
unconvertible frame leaves unwritten."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from crm_pipelines.warehouse import sqlite_bulk
from crm_pipelines.warehouse.engine import ensure_schema, make_engine
from crm_pipelines.warehouse.staging import (STAGING, STAGING_TABLES, clear_published, publish, stage, stage_tables,
                                               staging_dir, stg_golden_publish)

from .test_golden_staging import _resolution
from .test_staging_early import _dump as dump_staged


@pytest.fixture
def sqlite_engine(tmp_path):
    def make(name: str):
        engine = make_engine(f"sqlite:///{tmp_path / name}.sqlite")
        ensure_schema(engine)
        return engine
    return make


def _dump(engine, table: sa.Table) -> list[tuple]:
    return dump_staged(engine, table, "tenant-a")


def _attached(conn) -> list[str]:
    """The databases attached to ``conn`` besides its own (main, temp)."""
    return [row[1] for row in conn.exec_driver_sql("PRAGMA database_list") if row[1] not in ("main", "temp")]


def _spy(monkeypatch) -> list[str]:
    """Records each bulk write that went through (not one that fell back to the in-process path)."""
    done, write = [], sqlite_bulk.write

    def spy(database, steps, *args, **kwargs):
        write(database, steps, *args, **kwargs)
        done.append(database)

    monkeypatch.setattr(sqlite_bulk, "write", spy)
    return done


def test_bulk_staging_equals_the_in_process_staging(sqlite_engine, monkeypatch):
    resolution = _resolution("tenant-a")
    here, bulk = sqlite_engine("here"), sqlite_engine("bulk")
    with here.begin() as conn:
        expected = stage(conn, "tenant-a", resolution)
    done = _spy(monkeypatch)
    staged = stage_tables(bulk, "tenant-a", resolution, bulk_values=0)  # every staging through the helper
    # a full staging goes to a file of its own, which the marker names
    folder = staging_dir(bulk.url.database)
    assert len(done) == 1 and Path(done[0]).parent == folder, "the bulk writer did not write a staging file"
    with bulk.connect() as conn:
        name = conn.execute(sa.select(stg_golden_publish.c.staged_file)).scalar_one()
        assert conn.execute(sa.select(sa.func.count()).select_from(STAGING["xref"])).scalar_one() == 0
    assert [p.name for p in folder.iterdir()] == [name]
    assert staged == expected and staged["xref"] == 40
    for table in STAGING_TABLES:
        assert _dump(bulk, table) == _dump(here, table), table.name
    assert len(_dump(bulk, STAGING["pairs"])) == len(resolution.pairs) > 0
    with bulk.begin() as conn:  # and it publishes like any staging
        assert publish(conn, "tenant-a")["golden_contacts"] == 30
        assert len(_attached(conn)) == 1  # the staging file
    with bulk.connect() as conn:  # the pooled connection came back without it
        assert _attached(conn) == []
    with bulk.begin() as conn:  # the published staging file is deleted, not emptied
        assert clear_published(conn, "tenant-a")
    assert list(folder.iterdir()) == []
    with bulk.begin() as conn:  # published and cleared: publishing again changes nothing
        assert publish(conn, "tenant-a")["golden_contacts"] == 30


def test_a_small_staging_stays_in_process(sqlite_engine, monkeypatch):
    engine = sqlite_engine("small")

    def fail(*args, **kwargs):
        raise AssertionError("the bulk writer was started for a small staging")

    monkeypatch.setattr(sqlite_bulk, "write", fail)
    assert stage_tables(engine, "tenant-a", _resolution("tenant-a"))["xref"] == 40


def _staged_tenant(engine) -> int:
    table = STAGING["xref"]
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table).where(
            table.c.tenant_id == "tenant-a")).scalar_one()


def test_a_failing_helper_writes_nothing_and_says_why(sqlite_engine):
    engine = sqlite_engine("fail")
    with engine.begin() as conn:  # into the warehouse's stg_* tables, which the failed write below must leave alone
        stage(conn, "tenant-a", _resolution("tenant-a"))
    xref = STAGING["xref"]
    bogus = sa.Table("stg_not_there", sa.MetaData(), sa.Column("tenant_id", sa.String))
    with pytest.raises(sqlite_bulk.BulkWriteFailed, match="stg_not_there"):
        sqlite_bulk.write(engine.url.database, [xref.delete().where(xref.c.tenant_id == "tenant-a"),
                                                (bogus, pd.DataFrame({"tenant_id": ["tenant-a"]}))], busy_timeout_s=5)
    assert _staged_tenant(engine) == 40  # the delete before the failure was rolled back


def test_an_unconvertible_frame_writes_nothing_and_falls_back_in_process(sqlite_engine, monkeypatch):
    engine = sqlite_engine("convert")
    xref = STAGING["xref"]
    with engine.begin() as conn:
        stage(conn, "tenant-a", _resolution("tenant-a"))
    odd = pd.DataFrame({"tenant_id": ["tenant-a"], "source": ["hero"], "source_id": [{"not": "text"}]})
    with pytest.raises(sqlite_bulk.NotConvertible):
        sqlite_bulk.write(engine.url.database, [xref.delete().where(xref.c.tenant_id == "tenant-a"), (xref, odd)],
                          busy_timeout_s=5)
    assert _staged_tenant(engine) == 40

    resolution = _resolution("tenant-a")
    history = resolution.link_history.copy()
    history["reason"] = [7] * len(history)  # numbers in a text column: Arrow refuses, SQLite stores them as text
    resolution.link_history = history
    done = _spy(monkeypatch)
    staged = stage_tables(engine, "tenant-a", resolution, bulk_values=0)
    assert done == []  # it fell back
    assert staged["link_history"] == len(history) > 0
    table = STAGING["link_history"]
    with engine.connect() as conn:
        reasons = conn.execute(sa.select(table.c.reason).where(table.c.tenant_id == "tenant-a")).scalars().all()
        mode = conn.execute(sa.select(stg_golden_publish.c.mode)).scalar_one()
    assert reasons == ["7"] * len(history) and mode == "full"


def test_the_helper_commits_only_on_the_commit_line(sqlite_engine, tmp_path):
    import json
    import subprocess
    import sys

    engine = sqlite_engine("commit")
    table = STAGING["patterns"]
    plan = {"database": engine.url.database, "busy_timeout_ms": 5000}
    step = {"sql": f"INSERT INTO {table.name} (tenant_id, pattern_id) VALUES (?, ?)", "params": ["t", 1]}
    for tail, rows in ((b"", 0), (b"commit\n", 1)):  # the stream ends without its commit, then with it
        done = subprocess.run([sys.executable, str(sqlite_bulk.HELPER)],
                              input=json.dumps(plan).encode() + b"\n" + json.dumps(step).encode() + b"\n" + tail,
                              capture_output=True)
        assert (done.returncode == 0) == bool(tail), done.stderr
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == rows


def _index_statements(engine) -> list[str]:
    """The DROP INDEX / CREATE INDEX statements ``engine`` runs from now on."""
    seen: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("DROP INDEX", "CREATE INDEX")):
            seen.append(" ".join(statement.split()))

    return seen


def _xref_index(conn) -> str | None:
    return conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'ix_golden_contact_xref_golden_id'").scalar()


def _by_golden_id(conn, golden_id: str) -> list[tuple]:
    """The xref rows of a golden id, read through the golden_id index (the plan says so)."""
    query = "SELECT tenant_id, source, source_id FROM golden_contact_xref WHERE golden_id = ? ORDER BY 1, 2, 3"
    plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + query, (golden_id,)))
    assert "ix_golden_contact_xref_golden_id" in plan, plan
    return [tuple(r) for r in conn.exec_driver_sql(query, (golden_id,))]


def test_a_large_publish_into_tables_of_its_own_builds_the_xref_index_after_its_rows(sqlite_engine):
    from crm_pipelines.warehouse import golden_tables as gt

    engine = sqlite_engine("rebuilt")
    statements = _index_statements(engine)
    a, b = _resolution("tenant-a"), _resolution("tenant-b")
    stage_tables(engine, "tenant-a", a, bulk_values=0)  # a staging file: a large full staging
    with engine.begin() as conn:
        publish(conn, "tenant-a")
    assert statements == ["DROP INDEX IF EXISTS ix_golden_contact_xref_golden_id",
                          "CREATE INDEX IF NOT EXISTS ix_golden_contact_xref_golden_id ON golden_contact_xref (golden_id)"]
    gid = a.xref["golden_id"].iloc[0]
    expected = sorted(("tenant-a", s, i) for s, i, g in a.xref[["source", "source_id", "golden_id"]].itertuples(
        index=False) if g == gid)
    with engine.connect() as conn:
        assert _xref_index(conn) is not None and _by_golden_id(conn, gid) == expected
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"

    statements.clear()  # another tenant's rows are in the xref now: its index is kept and filled row by row
    stage_tables(engine, "tenant-b", b, bulk_values=0)
    with engine.begin() as conn:
        publish(conn, "tenant-b")
    assert statements == []
    statements.clear()  # and so for tenant-a's next publish
    stage_tables(engine, "tenant-a", a, bulk_values=0)
    with engine.begin() as conn:
        publish(conn, "tenant-a")
    assert statements == []
    with engine.connect() as conn:
        assert _by_golden_id(conn, gid) == expected
        assert conn.execute(sa.select(sa.func.count()).select_from(gt.golden_contact_xref)).scalar_one() == 80
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_a_publish_that_fails_after_dropping_the_index_leaves_index_and_rows(sqlite_engine, monkeypatch):
    from crm_pipelines.warehouse import staging as staging_module

    engine = sqlite_engine("rolled-back")
    a = _resolution("tenant-a")
    stage_tables(engine, "tenant-a", a, bulk_values=0)
    with engine.begin() as conn:
        publish(conn, "tenant-a")
    with engine.connect() as conn:
        before = _by_golden_id(conn, a.xref["golden_id"].iloc[0])
    stage_tables(engine, "tenant-a", _resolution("tenant-a"), bulk_values=0)

    def fail_after_the_xref(conn, published):
        dropped = drop(conn, published)
        if dropped:
            raise RuntimeError("disk full")
        return dropped

    drop = staging_module._dropped_indexes
    monkeypatch.setattr(staging_module, "_dropped_indexes", fail_after_the_xref)
    with pytest.raises(RuntimeError, match="disk full"):
        with engine.begin() as conn:
            publish(conn, "tenant-a")
    with engine.connect() as conn:
        assert _xref_index(conn) is not None
        assert _by_golden_id(conn, a.xref["golden_id"].iloc[0]) == before
