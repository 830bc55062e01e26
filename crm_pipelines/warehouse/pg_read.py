"""Large reads from PostgreSQL as ``COPY (SELECT ...) TO STDOUT (FORMAT csv)``, parsed by Arrow.

psycopg2 makes a Python object per value and a tuple per row, and ``read_tenant_frame`` then lays
the values out a column at a time, equal values shared. Here the server writes the rows as CSV on
the caller's own connection (same transaction, same snapshot), into a temporary file, which Arrow's
CSV reader parses in C, typed by the table; ``arrow_rows.frame_of`` makes the frame the in-process
read would make.

PostgreSQL's CSV writes NULL as an unquoted empty field and an empty text as ``""``, so the parser
keeps the two apart (a quoted field is never NULL); booleans are ``t``/``f``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence

import pandas as pd
import pyarrow.csv as pa_csv
import sqlalchemy as sa

from crm_pipelines.warehouse.arrow_rows import frame_of, read_types


def read_tenant(conn: sa.Connection, table: sa.Table, columns: Sequence[sa.Column], tenant_id: str,
                share_values: bool) -> pd.DataFrame:
    """``read_tenant_frame(conn, table, tenant_id, [c.name for c in columns], share_values=...)``
    through COPY, inside the caller's transaction. Raises ``NotConvertible`` for a column type it
    does not parse (before anything is read)."""
    types = read_types(table, columns)
    query = sa.select(*columns).where(table.c.tenant_id == tenant_id)
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.cursor()  # the DBAPI cursor of this connection: same transaction
    try:
        with tempfile.TemporaryFile() as rows:
            cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", rows)
            rows.seek(0)
            parsed = pa_csv.read_csv(
                rows, read_options=pa_csv.ReadOptions(column_names=[c.name for c in columns]),
                parse_options=pa_csv.ParseOptions(newlines_in_values=True),
                convert_options=pa_csv.ConvertOptions(
                    column_types=types, null_values=[""], strings_can_be_null=True,
                    quoted_strings_can_be_null=False, true_values=["t"], false_values=["f"]))
    finally:
        cursor.close()
    return frame_of(parsed, columns, share_values)

