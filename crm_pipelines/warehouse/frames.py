"""DataFrames in and out of the warehouse, always for one tenant: read, and publish atomically."""

from __future__ import annotations

import math
import pickle
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crm_pipelines.warehouse.engine import BUSY_TIMEOUT_S, CHANGES_AT_BEGIN, sqlite_file

BATCH = 5_000
CHUNK = 100_000
READ_BULK_VALUES = 2_000_000  # from this size on, a read from a SQLite file goes through ``sqlite_read``


def read_tenant_frame(conn: sa.Connection, table: sa.Table, tenant_id: str,
                      columns: Sequence[str] | None = None, where: sa.ColumnElement | None = None,
                      share_values: bool = False) -> pd.DataFrame:
    """The tenant's rows of ``table`` (optionally only ``columns``, filtered by ``where``).

    ``share_values``: in a column that repeats its values, equal values become one shared object, as
    in a frame built in memory; the driver makes a new object per cell. The matcher hashes and
    compares the same values many times and resolved a 185k-record tenant read without sharing in
    17.8-19.6 s, with sharing in 12.1-12.3 s (the sharing costs about 1 s of the read).

    A large read (``READ_BULK_VALUES``) goes through Arrow instead of the driver's rows, with the
    same result (``_bulk_read``)."""
    cols = [table.c[c] for c in columns] if columns else list(table.c)
    if where is None:
        bulk = _bulk_read(conn, table, cols, tenant_id, share_values)
        if bulk is not None:
            return bulk
    # the tenant column holds the tenant on every row: set here, not read (its own string per row; the
    # xref of 185k records read in 0.29-0.32 instead of 0.32-0.38 s)
    at = next((k for k, c in enumerate(cols) if c.name == "tenant_id"), None) if len(cols) > 1 else None
    read = cols if at is None else cols[:at] + cols[at + 1:]
    query = sa.select(*read).where(table.c.tenant_id == tenant_id)
    if where is not None:
        query = query.where(where)
    keys, rows = _fetch(conn, query)
    if at is not None and not rows:  # no rows: every column as the driver's empty result gives it
        keys, read = [c.name for c in cols], cols
    frame = _frame_of(conn, keys, read, rows, share_values)
    if read is not cols:
        frame.insert(at, "tenant_id", tenant_id)  # text, as read
    return frame


def _bulk_read(conn: sa.Connection, table: sa.Table, cols: list, tenant_id: str, share_values: bool):
    """A read of at least ``READ_BULK_VALUES`` values (rows times columns) read into Arrow and made
    into the frame the driver's rows would give (``arrow_rows.frame_of``); else None.

    PostgreSQL: ``COPY (SELECT ...) TO STDOUT`` on ``conn`` itself (``pg_read``; 1M canonical records
    in 7 instead of 16 s). A SQLite file: the
    ``sqlite_read`` helper process (1M canonical records in 12 instead of 24 s), whose connection
    sees what is committed. It reads what ``conn`` would: ``conn``'s transaction holds the file's
    write lock from its start (``engine.make_engine``), so nothing is committed meanwhile, and
    ``conn`` has written nothing itself since (its change count is that of the transaction's start);
    otherwise the read stays on ``conn``."""
    postgres, database = conn.dialect.name == "postgresql", sqlite_file(conn.engine)
    if not postgres and database is None:
        return None
    rows = conn.execute(sa.select(sa.func.count()).select_from(table).where(table.c.tenant_id == tenant_id)).scalar_one()
    if rows * len(cols) < READ_BULK_VALUES:
        return None
    from crm_pipelines.warehouse.arrow_rows import NotConvertible

    try:
        if postgres:
            from crm_pipelines.warehouse import pg_read

            return pg_read.read_tenant(conn, table, cols, tenant_id, share_values)
        if conn.info.get(CHANGES_AT_BEGIN) != conn.connection.dbapi_connection.total_changes:
            return None  # not our engine's transaction, or it wrote: only it sees its rows
        from crm_pipelines.warehouse import sqlite_read

        return sqlite_read.read_tenant(database, table, cols, tenant_id, share_values, BUSY_TIMEOUT_S)
    except NotConvertible:
        return None


def _fetch(conn: sa.Connection, query) -> tuple[list[str], list[tuple]]:
    """Column names and the driver's rows, not SQLAlchemy Row objects (a Row per record cost a third
    of the read)."""
    result = conn.execute(query)
    keys = list(result.keys())
    rows = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    return keys, rows


def _frame_of(conn: sa.Connection, keys: list[str], cols: list, rows: list[tuple], share_values: bool) -> pd.DataFrame:
    """A DataFrame of driver rows, as ``pd.DataFrame`` builds it from a list per column; the few
    column types that convert what the driver returns (e.g. SQLite booleans) are converted column by
    column. Without ``share_values`` the rows become columns in pandas' C code
    (``DataFrame.from_records``, 3x faster than transposing them in Python: the xref of 185k
    records in 0.06 instead of 0.2 s), and only the converted columns are built from lists."""
    if rows and not share_values:
        frame = pd.DataFrame.from_records(rows, columns=keys, coerce_float=False)
        converted = {}
        for k, (key, col) in enumerate(zip(keys, cols)):
            convert = col.type.result_processor(conn.dialect, None)
            if convert is not None:  # from the driver's own values (the frame's may be inferred already)
                converted[key] = list(map(convert, (row[k] for row in rows)))
        if converted:
            frame = frame.assign(**pd.DataFrame(converted, columns=list(converted)))
        return frame
    data = {}
    for key, col, values in zip(keys, cols, zip(*rows) if rows else [()] * len(keys)):
        convert = col.type.result_processor(conn.dialect, None)
        values = list(map(convert, values)) if convert is not None else list(values)
        data[key] = _shared(values) if share_values else values
    return pd.DataFrame(data, columns=keys)


def read_tenant_keys(conn: sa.Connection, table: sa.Table, tenant_id: str, key_columns: Sequence[str],
                     keys: Iterable[tuple], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The tenant's rows of ``table`` whose two ``key_columns`` equal one of ``keys`` (batched
    lookups through the key's index), with ``columns`` (default: all)."""
    cols = [table.c[c] for c in columns] if columns else list(table.c)
    names, rows = [c.name for c in cols], []
    for a, bs in _key_batches(key_columns, keys):
        names, part = _fetch(conn, sa.select(*cols).where(
            table.c.tenant_id == tenant_id, table.c[key_columns[0]] == a, table.c[key_columns[1]].in_(bs)))
        rows.extend(part)
    return _frame_of(conn, names, cols, rows, False)


def _key_batches(key_columns: Sequence[str], keys: Iterable[tuple], size: int = 900):
    """Two-column keys as (first value, up to ``size`` second values): one indexed statement each."""
    if len(key_columns) != 2:
        raise ValueError("only two-column keys are supported")
    by_first: dict = {}
    for a, b in keys:
        by_first.setdefault(a, []).append(b)
    for a, bs in by_first.items():
        for start in range(0, len(bs), size):
            yield a, bs[start:start + size]


def _shared(values: list) -> list:
    """``values`` laid out as in a frame built in memory: equal strings as one object each (a
    column that repeats its values), and the strings of one column next to each other in memory.

    The driver makes a new string per cell, row after row, so the strings of a column are spread
    over the whole result; the matcher walks a column at a time and waited on memory: at 999k rows
    it resolved a frame read this way in 32.6 s, and in 26.0 s once each column's strings were made
    again, in column order (scoring 8.1 -> 4.7 s). The strings are made again by a pickle round
    trip: of the distinct values of a repeating column, of every value of a mostly distinct one.
    Non-text columns are returned as they are. A column whose sample is nearly all distinct (an id,
    an e-mail) is taken as mostly distinct without counting its distinct values first (half the
    cost of such a column); the sample only picks the layout, the values are the same either way."""
    if _nearly_distinct(values):
        return _remade(values) if all(v.__class__ is str or v is None for v in values) else values
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    if not len(uniques) or not all(u.__class__ is str for u in uniques):
        return values
    if len(uniques) * 2 > len(values):
        return _remade(values)
    shared = np.asarray(_remade(list(uniques)), dtype=object).take(codes)
    missing = codes < 0
    if missing.any():
        shared[missing] = None
    return shared.tolist()


def _nearly_distinct(values: list, size: int = 4096, share: float = 0.9) -> bool:
    """Whether an evenly spread sample of ``values`` (a large column) is nearly all distinct text."""
    if len(values) < 4 * size:
        return False
    sample = [v for v in values[::len(values) // size] if v is not None]
    return len(sample) > size // 2 and len(set(sample)) > share * len(sample)


def _remade(values: list) -> list:
    """Equal values, as new objects made one after the other (next to each other in memory)."""
    return pickle.loads(pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL))


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


def frame_rows(frame: pd.DataFrame, columns: Sequence[str]) -> list[tuple]:
    """Rows of ``frame[columns]`` as tuples of plain Python values (NaN/NA/None → None), converted
    column by column (``to_records`` costs a dict and a type check per cell; this is ~10× faster)."""
    cols = []
    for name in columns:
        values = frame[name].to_numpy(dtype=object)  # numpy ints/floats/bools become Python objects
        missing = pd.isna(values)
        if missing.any():
            values = values.copy()
            values[missing] = None
        cols.append(values.tolist())
    return list(zip(*cols))


def written_columns(table: sa.Table, frame: pd.DataFrame) -> list[str]:
    """The columns of ``frame`` that a bulk insert into ``table`` writes; none for an empty frame."""
    return [] if frame.empty else [c for c in frame.columns if c in table.c]


def insert_frame(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """Bulk-insert the rows of ``frame`` (its columns that ``table`` has) inside the caller's
    transaction: one ``executemany`` of plain tuples on SQLite; on PostgreSQL one streamed ``COPY``,
    of CSV that Arrow writes in C (``arrow_rows.csv_chunks``), or of COPY text built here when a
    column's values do not fit its Arrow type. Returns the number of rows."""
    columns = written_columns(table, frame)
    if not columns:
        return 0
    prep = conn.dialect.identifier_preparer
    target = f"{prep.format_table(table)} ({', '.join(prep.quote(c) for c in columns)})"
    if conn.dialect.name == "postgresql":
        _copy_frame(conn, table, target, frame, columns)
        return len(frame)
    cursor = conn.connection.cursor()  # the DBAPI cursor of this connection: same transaction
    try:
        for start in range(0, len(frame), CHUNK):  # chunks bound the memory of the row tuples
            rows = frame_rows(frame.iloc[start:start + CHUNK], columns)
            cursor.executemany(f"INSERT INTO {target} VALUES ({', '.join('?' * len(columns))})", rows)
    finally:
        cursor.close()
    return len(frame)


def _copy_frame(conn: sa.Connection, table: sa.Table, target: str, frame: pd.DataFrame, columns: list[str]) -> None:
    """PostgreSQL: ``COPY target FROM STDIN``, as Arrow's CSV when every value fits its column's
    Arrow type (for a 1M-record staging about 4.5 s of conversion instead of 12 s of building COPY
    text), else as COPY text."""
    cursor = conn.connection.cursor()  # the DBAPI cursor of this connection: same transaction
    try:
        if not _copied_as_csv(conn, cursor, table, target, frame, columns):
            cursor.copy_expert(f"COPY {target} FROM STDIN", CopyStream(text_chunks(frame, columns)))
    finally:
        cursor.close()


def _copied_as_csv(conn: sa.Connection, cursor, table: sa.Table, target: str, frame: pd.DataFrame,
                   columns: list[str]) -> bool:
    """The rows COPYed as Arrow's CSV (True), or nothing at all (False: a column or a batch Arrow
    cannot type; rows sent before that batch are undone to a savepoint)."""
    from crm_pipelines.warehouse import arrow_rows

    try:
        schema = arrow_rows.arrow_schema(table, columns)
    except arrow_rows.NotConvertible:
        return False
    refused: list[Exception] = []

    def chunks() -> Iterator[bytes]:
        try:
            yield from arrow_rows.csv_chunks(frame, schema)
        except arrow_rows.NotConvertible as exc:
            refused.append(exc)  # the driver reports it as a failed COPY of its own
            raise

    try:
        with conn.begin_nested():
            cursor.copy_expert(f"COPY {target} FROM STDIN WITH (FORMAT csv)", CopyStream(chunks()))
    except Exception:  # noqa: BLE001 - the driver's error for a refused batch; any other is raised
        if not refused:
            raise
        return False
    return True


_COPY_SPECIAL = ("\\", "\t", "\n", "\r")


def copy_text(values: Sequence) -> list[str]:
    """One column as PostgreSQL COPY text fields: ``\\N`` for a missing value (None, NaN, NA, NaT),
    backslash, tab, newline and carriage return escaped, booleans ``t``/``f``, datetimes ISO 8601.
    Strings without a special character (nearly all) are taken as they are."""
    out = list(values)
    kinds = set(map(type, out))
    if kinds <= {str, float, int, type(None)}:  # the usual columns: text, numbers, missing values
        joined = "\x00".join(v for v in out if v.__class__ is str)
        if any(ch in joined for ch in _COPY_SPECIAL):
            out = [_copy_escape(v) if v.__class__ is str else v for v in out]
        if kinds - {str}:
            out = [v if v.__class__ is str else "\\N" if v is None or v != v else repr(v) for v in out]
        return out
    for k, v in enumerate(out):
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
            out[k] = "\\N"
        elif isinstance(v, str):
            out[k] = _copy_escape(v)
        elif isinstance(v, (bool, np.bool_)):
            out[k] = "t" if v else "f"
        elif isinstance(v, float):
            out[k] = repr(v)
        elif hasattr(v, "isoformat"):
            out[k] = v.isoformat()
        else:
            out[k] = _copy_escape(str(v.item() if isinstance(v, np.generic) else v))
    return out


def _copy_escape(text: str) -> str:
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def text_chunks(frame: pd.DataFrame, columns: Sequence[str], chunk: int = 20_000) -> Iterator[bytes]:
    """The rows of ``frame[columns]`` as COPY text, ``chunk`` rows at a time."""
    for start in range(0, len(frame), chunk):
        part = frame.iloc[start:start + chunk]
        cols = [copy_text(part[name].to_numpy(dtype=object).tolist()) for name in columns]
        yield ("\n".join(map("\t".join, zip(*cols))) + "\n").encode("utf-8")


class CopyStream:
    """A file-like object that ``COPY ... FROM STDIN`` reads, over chunks of bytes built as the
    driver asks for them. The server parses and inserts one chunk while the next is built, so
    client and server work on both cores at once."""

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks = iter(chunks)
        self._buffer, self._pos = b"", 0

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left for a negative size); b"" at the end. Each call
        copies only what it returns (the driver reads 8 KiB at a time from chunks of megabytes)."""
        if size < 0:
            rest = [self._buffer[self._pos:], *self._chunks]
            self._buffer, self._pos = b"", 0
            return b"".join(rest)
        while self._pos >= len(self._buffer):
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._buffer, self._pos = chunk, 0
        out = self._buffer[self._pos:self._pos + size]
        self._pos += len(out)
        return out


def check_tenant(table: sa.Table, tenant_id: str, frame: pd.DataFrame) -> None:
    """Raises ``ValueError`` when ``frame`` holds a row of another tenant than ``tenant_id``."""
    if len(frame) and "tenant_id" in frame and (frame["tenant_id"].astype(str) != tenant_id).any():
        raise ValueError(f"rows of another tenant in a write for {tenant_id!r} to {table.name}")


def replace_tenant_frame(conn: sa.Connection, table: sa.Table, tenant_id: str, frame: pd.DataFrame) -> int:
    """Inside the caller's transaction: the tenant's rows become exactly the rows of ``frame``."""
    check_tenant(table, tenant_id, frame)
    conn.execute(table.delete().where(table.c.tenant_id == tenant_id))
    return insert_frame(conn, table, frame)


def insert_records(conn: sa.Connection, table: sa.Table, records: list[dict]) -> None:
    for start in range(0, len(records), BATCH):
        conn.execute(table.insert(), records[start:start + BATCH])


def delete_keys(conn: sa.Connection, table: sa.Table, tenant_id: str, key_columns: Sequence[str],
                keys: Iterable[tuple]) -> None:
    """Delete the tenant's rows whose ``key_columns`` equal one of ``keys`` (batched)."""
    for a, bs in _key_batches(key_columns, keys):
        conn.execute(table.delete().where(table.c.tenant_id == tenant_id, table.c[key_columns[0]] == a,
                                          table.c[key_columns[1]].in_(bs)))
