"""The helper process of ``sqlite_bulk`` and ``sqlite_read``: runs as a script (``python
_sqlite_helper.py``), so it loads only pyarrow and the ADBC SQLite driver, not the project: 78 MB at
start. A process of its own, because the driver carries its own SQLite library (see ``sqlite_bulk``).

Reads from stdin one JSON line ``{"database", "busy_timeout_ms", "synchronous"}`` and then:

- to write (``sqlite_bulk``): one JSON line per step, ``{"sql", "params"}`` or ``{"rows": table}``
  (followed by an Arrow IPC stream of the rows), then the line ``commit``. The steps may arrive as
  the parent makes them (a staging started before survivorship ended). Runs them in one
  transaction and commits only on that line; anything else (end of input, a broken stream, a failed
  statement) rolls back.
- to read (``sqlite_read``, the first line also holds ``"query": {"sql", "params"}``): runs the query
  and writes its rows to stdout as one Arrow IPC stream.

A failure exits non-zero with the reason on stderr.
"""

from __future__ import annotations

import json
import sys

END_OF_STREAM = b"\xff\xff\xff\xff\x00\x00\x00\x00"  # an IPC stream's end marker (continuation, length 0)
READ_BATCH_ROWS = 65_536


def _statement(adbc, pa, conn, sql: str, params: list | None = None):
    statement = adbc.AdbcStatement(conn)
    statement.set_sql_query(sql)
    if params:
        statement.bind(pa.record_batch({f"p{k}": [v] for k, v in enumerate(params)}))
    return statement


def _write(adbc, pa, conn, source, synchronous: bool) -> None:
    def execute(sql: str, params: list | None = None) -> None:
        statement = _statement(adbc, pa, conn, sql, params)
        try:
            statement.execute_update()
        finally:
            statement.close()

    def ingest(table: str) -> None:
        """The next Arrow stream on stdin, appended to ``table``."""
        statement = adbc.AdbcStatement(conn)
        try:
            statement.set_options(**{adbc.INGEST_OPTION_TARGET_TABLE: table,
                                     adbc.INGEST_OPTION_MODE: adbc.INGEST_OPTION_MODE_APPEND})
            statement.bind_stream(pa.ipc.open_stream(source))
            statement.execute_update()
        finally:
            statement.close()

    # as the engine's connections (the warehouse is in WAL mode); OFF for a file rebuilt after a crash
    execute("PRAGMA synchronous=NORMAL" if synchronous else "PRAGMA synchronous=OFF")
    # the staging tables' only index (tenant) grows at its end: a small page cache does
    execute("PRAGMA cache_size=-8192")
    execute("BEGIN IMMEDIATE")
    while (line := source.readline()) != b"commit\n":
        if not line:
            raise RuntimeError("the stream ended before its commit: nothing written")
        step = json.loads(line)
        if "rows" in step:
            ingest(step["rows"])
        else:
            execute(step["sql"], step["params"])
    execute("COMMIT")


def _read(adbc, pa, conn, query: dict, out) -> None:
    statement = _statement(adbc, pa, conn, query["sql"], query["params"])
    try:
        statement.set_options(**{"adbc.sqlite.query.batch_rows": str(READ_BATCH_ROWS)})
        stream, _ = statement.execute_query()
        with pa.RecordBatchReader._import_from_c(stream.address) as reader:
            out.write(reader.schema.serialize())
            for batch in reader:
                out.write(batch.serialize())  # one write per batch
        out.write(END_OF_STREAM)
        out.flush()
    finally:
        statement.close()


def main() -> int:
    # the driver's low-level API: its DB-API module loads pandas too (148 instead of 78 MB at start)
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite
    import pyarrow as pa
    import pyarrow.ipc  # noqa: F401 - the stream reader

    source = sys.stdin.buffer
    plan = json.loads(source.readline())
    database = adbc_driver_sqlite.connect(plan["database"])
    conn = adbc.AdbcConnection(database)  # in autocommit mode: a write's transaction is explicit
    try:
        pragma = _statement(adbc, pa, conn, f"PRAGMA busy_timeout={int(plan['busy_timeout_ms'])}")
        try:
            pragma.execute_update()
        finally:
            pragma.close()
        if "query" in plan:
            _read(adbc, pa, conn, plan["query"], sys.stdout.buffer)
        else:
            _write(adbc, pa, conn, source, plan.get("synchronous", True) is not False)
    finally:
        conn.close()  # an open transaction is rolled back
        database.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
