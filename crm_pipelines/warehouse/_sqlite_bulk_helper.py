"""The helper process of ``sqlite_bulk``: runs as a script (``python _sqlite_bulk_helper.py``), so it
loads only pyarrow and the ADBC SQLite driver, not the project: 78 MB at start.

Reads from stdin one JSON line ``{"database", "busy_timeout_ms"}``, then one JSON line per step,
``{"sql", "params"}`` or ``{"rows": table}`` (followed by an Arrow IPC stream of the rows), then the
line ``commit``. The steps may arrive as the parent makes them (a staging started before survivorship
ended). Runs them in one transaction and commits only on that line; anything else (end of input, a
broken stream, a failed statement) rolls back and exits non-zero with the reason on stderr.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    # the driver's low-level API: its DB-API module loads pandas too (148 instead of 78 MB at start)
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite
    import pyarrow as pa
    import pyarrow.ipc  # noqa: F401 - the stream reader

    source = sys.stdin.buffer
    plan = json.loads(source.readline())
    database = adbc_driver_sqlite.connect(plan["database"])
    conn = adbc.AdbcConnection(database)  # in autocommit mode: the transaction is explicit below

    def execute(sql: str, params: list | None = None) -> None:
        statement = adbc.AdbcStatement(conn)
        try:
            statement.set_sql_query(sql)
            if params:
                statement.bind(pa.record_batch({f"p{k}": [v] for k, v in enumerate(params)}))
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

    try:
        execute(f"PRAGMA busy_timeout={int(plan['busy_timeout_ms'])}")
        execute("PRAGMA synchronous=NORMAL")  # as the engine's connections (the file is in WAL mode)
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
