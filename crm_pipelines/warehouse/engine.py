"""Engines for the warehouse: SQLite (embedded default) and PostgreSQL (production), same code."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def make_engine(url: str) -> sa.Engine:
    """Create an engine. SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE`` so that parallel
    Dagster steps queue for the write lock instead of failing; PostgreSQL gets a small pool."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 120, "isolation_level": None})

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):  # noqa: ANN001
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # 64 MiB page cache (default 2 MiB): bulk writes of a large tenant's golden tables keep
            # their index pages in memory instead of re-reading them through the OS per insert
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn):  # noqa: ANN001
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return sa.create_engine(url, pool_size=2, max_overflow=3, pool_pre_ping=True, pool_recycle=1800)


def is_postgres(engine: sa.Engine) -> bool:
    return engine.dialect.name == "postgresql"


def ensure_schema(engine: sa.Engine) -> None:
    """Create every table declared in code that does not exist yet."""
    from crm_pipelines.warehouse import tables  # noqa: F401 - registers every table on the metadata
    from crm_pipelines.warehouse.schema import metadata

    metadata.create_all(engine, checkfirst=True)
