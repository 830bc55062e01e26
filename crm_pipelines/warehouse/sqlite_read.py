"""Large reads from the SQLite warehouse through a helper process that returns the rows as Arrow.

Python's sqlite3 makes a Python object per value and a tuple per row: reading a 1M-record tenant's
canonical rows (45 million values) took 9 s, and laying them out as ``read_tenant_frame`` does (a
column at a time, equal values shared) 12 s more. The ADBC SQLite driver (Apache Arrow's database
connectivity) reads them into Arrow columns in C, in a helper process (``_sqlite_helper.py``;
the driver's own SQLite library must not share this process with sqlite3's, see ``sqlite_bulk``);
this process makes each column's Python objects from Arrow: 12 instead of 24 s at 1M records.

The driver infers a column's type from the first rows it reads, and a text column that is empty in
all of them would come back as integers. So the query starts with one row of the table's own types
(a marker column tells it apart), which is dropped here. The frame equals ``read_tenant_frame``'s
in-process one value for value and dtype for dtype (booleans as bools, a column without any value
as ``None``\\s, ...).
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from crm_pipelines.warehouse.arrow_rows import frame_of, read_types
from crm_pipelines.warehouse.sqlite_bulk import helper_error, start_helper

_MARKER = "_typed_row"


class BulkReadFailed(RuntimeError):
    """The reader process failed."""


def _literal(arrow_type: pa.DataType) -> str:
    """A value of ``arrow_type`` for the typed first row."""
    if pa.types.is_string(arrow_type):
        return "''"
    return "0.5" if pa.types.is_floating(arrow_type) else "0"  # integers and booleans: 0/1 in SQLite


def query(table: sa.Table, columns: Sequence[sa.Column]) -> str:
    """The tenant's rows of ``columns`` (one ``?`` parameter: the tenant), after the typed row."""
    quote = sqlite.dialect().identifier_preparer.quote
    types = read_types(table, columns)  # raises NotConvertible for another column type
    typed = ", ".join(f"{_literal(types[c.name])} AS {quote(c.name)}" for c in columns)
    names = ", ".join(quote(c.name) for c in columns)
    return (f"SELECT 0 AS {_MARKER}, {typed} UNION ALL "
            f"SELECT 1, {names} FROM {quote(table.name)} WHERE {quote('tenant_id')} = ?")


def read_tenant(database: str, table: sa.Table, columns: Sequence[sa.Column], tenant_id: str,
                share_values: bool, busy_timeout_s: float) -> pd.DataFrame:
    """``read_tenant_frame(conn, table, tenant_id, [c.name for c in columns], share_values=...)``
    through the helper: the rows committed in the file ``database``. Raises ``NotConvertible`` for a
    column type it does not read (before starting the helper), ``BulkReadFailed`` when the helper
    fails."""
    sql = query(table, columns)
    plan = {"database": database, "busy_timeout_ms": int(busy_timeout_s * 1000),
            "query": {"sql": sql, "params": [tenant_id]}}
    with tempfile.TemporaryFile() as errors:
        proc = start_helper(plan, errors, stdout=subprocess.PIPE)
        try:
            proc.stdin.close()
            rows = pa.ipc.open_stream(proc.stdout).read_all()
        except (pa.ArrowException, OSError) as exc:
            proc.kill()
            proc.wait()
            raise BulkReadFailed(f"the SQLite reader failed: {helper_error(errors) or exc}") from exc
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            proc.stdout.close()
        if proc.wait() != 0:
            raise BulkReadFailed(f"the SQLite reader failed (exit {proc.returncode}): {helper_error(errors) or 'no message'}")
    return frame_of(rows.filter(pc.equal(rows.column(_MARKER), 1)), columns, share_values)
