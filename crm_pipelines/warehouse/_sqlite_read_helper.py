"""The helper process of ``sqlite_read``: runs as a script (``python _sqlite_read_helper.py``), so it
loads only pyarrow and the ADBC SQLite driver, not the project.

Reads from stdin one JSON line ``{"database", "busy_timeout_ms", "sql", "params"}``, runs the query
and writes its rows to stdout as one Arrow IPC stream. A failure exits non-zero with the reason on
stderr.
"""

from __future__ import annotations

import json
import sys

END_OF_STREAM = b"\xff\xff\xff\xff\x00\x00\x00\x00"
BATCH_ROWS = 65_536


def main() -> int:
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite
    import pyarrow as pa

    plan = json.loads(sys.stdin.buffer.readline())
    database = adbc_driver_sqlite.connect(plan["database"])
    conn = adbc.AdbcConnection(database)
    out = sys.stdout.buffer
    statements = []
    try:
        pragma = adbc.AdbcStatement(conn)
        statements.append(pragma)
        pragma.set_sql_query(f"PRAGMA busy_timeout={int(plan['busy_timeout_ms'])}")
        pragma.execute_update()
        statement = adbc.AdbcStatement(conn)
        statements.append(statement)
        statement.set_options(**{"adbc.sqlite.query.batch_rows": str(BATCH_ROWS)})
        statement.set_sql_query(plan["sql"])
        if plan["params"]:
            statement.bind(pa.record_batch({f"p{k}": [v] for k, v in enumerate(plan["params"])}))
        stream, _ = statement.execute_query()
        with pa.RecordBatchReader._import_from_c(stream.address) as reader:
            out.write(reader.schema.serialize())
            for batch in reader:
                out.write(batch.serialize())  # one write per batch
        out.write(END_OF_STREAM)
        out.flush()
    finally:
        for statement in statements:
            statement.close()
        conn.close()
        database.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
