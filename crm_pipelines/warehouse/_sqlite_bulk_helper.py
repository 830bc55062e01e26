"""The helper process of ``sqlite_bulk``: runs as a script (``python _sqlite_bulk_helper.py``), so it
loads only pyarrow and the ADBC SQLite driver, not the project.

Reads from stdin one JSON line ``{"database", "busy_timeout_ms", "steps"}``, where a step is
``{"sql", "params"}`` or ``{"rows": table}``; then one Arrow IPC stream per ``rows`` step, in
order; then the line ``commit``. Runs the steps in one transaction and commits only on that line;
anything else (end of input, a broken stream, a failed statement) rolls back and exits non-zero
with the reason on stderr.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    import adbc_driver_sqlite.dbapi as adbc_sqlite
    import pyarrow as pa

    source = sys.stdin.buffer
    plan = json.loads(source.readline())
    conn = adbc_sqlite.connect(plan["database"], autocommit=True)  # transactions are explicit below
    try:
        cursor = conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(plan['busy_timeout_ms'])}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # as the engine's connections (the file is in WAL mode)
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("BEGIN IMMEDIATE")
        for step in plan["steps"]:
            if "rows" in step:
                cursor.adbc_ingest(step["rows"], pa.ipc.open_stream(source), mode="append")
            else:
                cursor.execute(step["sql"], tuple(step["params"]))
        if source.readline() != b"commit\n":
            raise RuntimeError("the stream ended before its commit: nothing written")
        cursor.execute("COMMIT")
    finally:
        conn.close()  # an open transaction is rolled back
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
