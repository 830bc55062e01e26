"""DataFrames in and out of the warehouse, always for one tenant: read, and publish atomically."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

BATCH = 5_000


def read_tenant_frame(conn: sa.Connection, table: sa.Table, tenant_id: str,
                      columns: Sequence[str] | None = None, where: sa.ColumnElement | None = None) -> pd.DataFrame:
    cols = [table.c[c] for c in columns] if columns else list(table.c)
    query = sa.select(*cols).where(table.c.tenant_id == tenant_id)
    if where is not None:
        query = query.where(where)
    result = conn.execute(query)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def to_records(frame: pd.DataFrame, table: sa.Table) -> list[dict]:
    """DataFrame rows as dicts of the table's columns, with NaN/NaT/numpy scalars made plain Python."""
    columns = [c for c in frame.columns if c in table.c]
    records = []
    for row in frame[columns].itertuples(index=False, name=None):
        records.append({c: _plain(v) for c, v in zip(columns, row)})
    return records


def _plain(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        return None if isinstance(value, float) and math.isnan(value) else value
    if value is pd.NaT:
        return None
    return value


def insert_records(conn: sa.Connection, table: sa.Table, records: list[dict]) -> None:
    for start in range(0, len(records), BATCH):
        conn.execute(table.insert(), records[start:start + BATCH])


def replace_tenant_rows(conn: sa.Connection, table: sa.Table, tenant_id: str, records: list[dict]) -> None:
    """Inside the caller's transaction: the tenant's rows become exactly ``records``."""
    conn.execute(table.delete().where(table.c.tenant_id == tenant_id))
    insert_records(conn, table, records)


def delete_keys(conn: sa.Connection, table: sa.Table, tenant_id: str, key_columns: Sequence[str],
                keys: Iterable[tuple]) -> None:
    """Delete the tenant's rows whose ``key_columns`` equal one of ``keys`` (batched)."""
    keys = list(keys)
    if not keys:
        return
    if len(key_columns) == 2:
        by_first: dict = {}
        for a, b in keys:
            by_first.setdefault(a, []).append(b)
        for a, bs in by_first.items():
            for start in range(0, len(bs), 900):
                conn.execute(table.delete().where(table.c.tenant_id == tenant_id, table.c[key_columns[0]] == a,
                                                  table.c[key_columns[1]].in_(bs[start:start + 900])))
        return
    raise ValueError("only two-column keys are supported")
