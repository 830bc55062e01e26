"""Engines for the warehouse: SQLite (embedded default) and PostgreSQL (production), same code."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

BUSY_TIMEOUT_S = 120  # how long a SQLite writer waits for the write lock (parallel Dagster steps queue)
CHANGES_AT_BEGIN = "crm_sqlite_changes_at_begin"  # Connection.info key, set when a SQLite transaction begins
ATTACHED = "crm_sqlite_attached"  # Connection.info key: {schema name: file} of databases attached to it (staging files)


def make_engine(url: str) -> sa.Engine:
    """Create an engine. SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE`` so that parallel
    Dagster steps queue for the write lock instead of failing; PostgreSQL gets a small pool."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S, "isolation_level": None})

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
            # what this connection had written when its transaction (and its write lock) began: a
            # read that finds the same count may go through another connection (``frames``)
            conn.info[CHANGES_AT_BEGIN] = conn.connection.dbapi_connection.total_changes

        @sa.event.listens_for(engine, "reset")
        def _on_reset(dbapi_conn, record, _state):  # noqa: ANN001
            # a staging file attached by a publish or a check (``staging.attach_staged``) is detached
            # when its connection goes back to the pool: outside any transaction, where SQLite allows it
            attached = record.info.pop(ATTACHED, None)
            if attached:
                if dbapi_conn.in_transaction:
                    dbapi_conn.rollback()
                left = {}
                for schema, path in attached.items():
                    try:
                        dbapi_conn.execute(f"DETACH DATABASE {schema}")
                    except Exception:  # noqa: BLE001 - still in use: tried again when the connection returns next
                        left[schema] = path
                if left:
                    record.info[ATTACHED] = left

        return engine
    return sa.create_engine(url, pool_size=2, max_overflow=3, pool_pre_ping=True, pool_recycle=1800)


def sqlite_file(engine: sa.Engine) -> str | None:
    """The path of the engine's SQLite file (no in-memory database, no URL options), else None: what
    another process (the bulk writer and reader) can open too."""
    url = engine.url
    if engine.dialect.name != "sqlite" or url.database in (None, "", ":memory:") or url.query:
        return None
    return url.database


def is_postgres(engine: sa.Engine) -> bool:
    return engine.dialect.name == "postgresql"


def ensure_schema(engine: sa.Engine) -> None:
    """Create every table declared in code that does not exist yet."""
    from crm_pipelines.warehouse import tables  # noqa: F401 - registers every table on the metadata
    from crm_pipelines.warehouse.schema import metadata

    metadata.create_all(engine, checkfirst=True)
    add_missing_columns(engine, metadata)
    add_missing_indexes(engine, metadata)
    drop_obsolete_indexes(engine)
    if is_postgres(engine):
        from crm_pipelines.warehouse.staging import unlog_staging

        with engine.begin() as conn:
            unlog_staging(conn)


def add_missing_columns(engine: sa.Engine, metadata: sa.MetaData) -> list[str]:
    """Additive migration of a warehouse made by an earlier version: a column declared in code but
    missing from an existing table is added (nullable; columns the code no longer writes stay and
    are left NULL in new rows). Returns "table.column" per added column."""
    missing = []
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        for table in metadata.sorted_tables:
            if not inspector.has_table(table.name):
                continue
            present = {c["name"] for c in inspector.get_columns(table.name)}
            missing += [(table, column) for column in table.c if column.name not in present]
    added = []
    if not missing:
        return added
    with engine.begin() as conn:
        prep = conn.dialect.identifier_preparer
        for table, column in missing:
            if column.primary_key:
                raise RuntimeError(f"table {table.name} lacks key column {column.name}: it was made by an "
                                   "incompatible version; drop it (it is rebuilt) or migrate it by hand")
            kind = column.type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f"ALTER TABLE {prep.format_table(table)} ADD COLUMN {prep.quote(column.name)} {kind}")
            added.append(f"{table.name}.{column.name}")
    return added


OBSOLETE_INDEXES = {"match_pairs": ["ix_match_pairs_record_b"]}  # table → indexes no query uses any more


def drop_obsolete_indexes(engine: sa.Engine) -> list[str]:
    """Indexes an earlier version created that nothing reads any more (``OBSOLETE_INDEXES``): each
    costs every write of its table. Returns the names of the indexes it dropped."""
    dropped = []
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        for table, names in OBSOLETE_INDEXES.items():
            if inspector.has_table(table):
                present = {ix["name"] for ix in inspector.get_indexes(table)}
                dropped += [name for name in names if name in present]
    if dropped:
        with engine.begin() as conn:
            for name in dropped:
                conn.exec_driver_sql(f"DROP INDEX {conn.dialect.identifier_preparer.quote(name)}")
    return dropped


def add_missing_indexes(engine: sa.Engine, metadata: sa.MetaData) -> list[str]:
    """Indexes declared in code but missing from an existing table (made by an earlier version) are
    created. Returns the names of the indexes it created."""
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        missing = []
        for table in metadata.sorted_tables:
            if not table.indexes or not inspector.has_table(table.name):
                continue
            present = {ix["name"] for ix in inspector.get_indexes(table.name)}
            missing += [index for index in table.indexes if index.name not in present]
    with engine.begin() as conn:
        for index in missing:
            index.create(conn, checkfirst=True)
    return sorted(index.name for index in missing)
