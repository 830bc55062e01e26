"""A frame's rows as Apache Arrow record batches typed by a warehouse table: what the bulk writers
hand to C code instead of binding or formatting every value in Python (the SQLite bulk writer's
helper process, PostgreSQL's ``COPY ... (FORMAT csv)``); and back, the rows the bulk readers read
into Arrow as the frame ``frames.read_tenant_frame`` builds from a driver's rows (``frame_of``)."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa

BATCH_ROWS = 16_384


class NotConvertible(ValueError):
    """A frame has values the Arrow types of its table cannot hold."""


_ARROW_TYPES = ((sa.Boolean, None), (sa.Integer, pa.int64()), (sa.Float, pa.float64()), (sa.String, pa.string()))


def arrow_schema(table: sa.Table, columns: Sequence[str]) -> pa.Schema:
    """The Arrow types for ``columns`` of ``table``: text, 64-bit integers and doubles. Other column
    types raise ``NotConvertible``."""
    fields = []
    for name in columns:
        column_type = table.c[name].type
        arrow = next((a for t, a in _ARROW_TYPES if isinstance(column_type, t)), None)
        if arrow is None:
            raise NotConvertible(f"{table.name}.{name}: no Arrow type for {column_type!r}")
        fields.append(pa.field(name, arrow))
    return pa.schema(fields)


def read_types(table: sa.Table, columns: Sequence[sa.Column]) -> dict[str, pa.DataType]:
    """The Arrow type each of ``columns`` is read as by the bulk readers: ``arrow_schema``'s, and
    booleans as booleans (``frame_of`` makes of them what the driver's rows give)."""
    flags = {c.name for c in columns if isinstance(c.type, sa.Boolean)}
    types = {f.name: f.type for f in arrow_schema(table, [c.name for c in columns if c.name not in flags])}
    return {c.name: pa.bool_() if c.name in flags else types[c.name] for c in columns}


def record_batches(frame: pd.DataFrame, schema: pa.Schema, batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """The rows of ``frame[schema.names]``, ``batch_rows`` at a time (missing values, NaN included,
    become nulls; a float column of nothing but NaN is a null column of any type). Raises
    ``NotConvertible`` at the first batch with a value of another type, e.g. a number in a text
    column."""
    empty = [f.name for f in schema if not pa.types.is_floating(f.type) and frame[f.name].dtype.kind == "f"
             and frame[f.name].isna().all()]
    same = _same_text(frame, schema)
    typed = pa.schema([f for f in schema if f.name not in empty and f.name not in same])
    for start in range(0, len(frame), batch_rows):
        part = frame.iloc[start:start + batch_rows]
        try:
            # in this thread: Arrow's own threads would take turns at the GIL with any other thread
            batch = pa.RecordBatch.from_pandas(part[typed.names], schema=typed, preserve_index=False, nthreads=1)
        except (pa.ArrowException, ValueError, TypeError) as exc:
            raise NotConvertible(f"rows {start}-{start + len(part)} of {schema.names}: {exc}") from exc
        if not empty and not same:
            yield batch
            continue
        yield pa.RecordBatch.from_arrays([
            pa.nulls(len(part), f.type) if f.name in empty
            else pa.repeat(same[f.name], len(part)) if f.name in same
            else batch.column(f.name) for f in schema], schema=schema)


def _same_text(frame: pd.DataFrame, schema: pa.Schema) -> dict[str, pa.Scalar]:
    """Text columns holding one and the same string in every row (a tenant id, a run's time stamp):
    repeated by Arrow instead of converted value by value, which holds the interpreter lock (a
    quarter of the conversion of a resolution's tables; a staging thread converts them while
    survivorship runs). A few sampled rows rule most other columns out before the full check."""
    same: dict[str, pa.Scalar] = {}
    if len(frame) < 2:
        return same
    probe = np.unique(np.linspace(0, len(frame) - 1, 16).astype(np.int64))
    for f in schema:
        if not pa.types.is_string(f.type) or frame[f.name].dtype.kind not in "OUT":
            continue
        values = frame[f.name].to_numpy(dtype=object)
        first = values[0]
        if first.__class__ is not str or not all(values[k] == first for k in probe.tolist()):
            continue
        if bool((values == first).all()):
            same[f.name] = pa.scalar(first, f.type)
    return same


def csv_chunks(frame: pd.DataFrame, schema: pa.Schema) -> Iterator[bytes]:
    """The rows as CSV for PostgreSQL's ``COPY ... (FORMAT csv)``, one chunk per batch: no header,
    every text value quoted (so an empty text stays empty), a null as an empty field (NULL),
    doubles in their shortest exact form."""
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    for batch in record_batches(frame, schema):
        sink = io.BytesIO()
        pa_csv.write_csv(batch, sink, options)
        yield sink.getvalue()


def _objects(values: pa.ChunkedArray, share_values: bool) -> np.ndarray:
    """Text as an object array of str and None; with ``share_values``, equal values as one object,
    made one after the other (what ``frames._shared`` does for the driver's rows)."""
    if not share_values:
        return values.to_numpy(zero_copy_only=False)
    encoded = values.combine_chunks().dictionary_encode()
    uniques = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    if not encoded.null_count:
        return uniques.take(codes)
    out = np.full(len(codes), None, dtype=object)
    valid = encoded.indices.is_valid().to_numpy(zero_copy_only=False)
    out[valid] = uniques.take(codes[valid].astype(np.int64))
    return out


def _column(column: sa.Column, values: pa.ChunkedArray, share_values: bool):
    """The column as ``read_tenant_frame`` builds it from the driver's values: a list of Python values
    (None for NULL) given to ``pd.DataFrame``."""
    if len(values) and values.null_count == len(values):
        return np.full(len(values), None, dtype=object)  # no value at all: None, whatever the type
    if isinstance(column.type, sa.Boolean):
        flags = values.to_numpy(zero_copy_only=False)
        if not values.null_count:
            return flags.astype(bool)
        valid = values.is_valid().to_numpy(zero_copy_only=False)
        out = np.full(len(values), None, dtype=object)
        out[valid] = flags[valid].astype(bool)
        return out
    if isinstance(column.type, sa.String):
        return _objects(values, share_values)
    return values.to_numpy(zero_copy_only=False)  # numbers: NULL → NaN, as pandas makes of None


def frame_of(rows: pa.Table, columns: Sequence[sa.Column], share_values: bool) -> pd.DataFrame:
    """The frame ``frames.read_tenant_frame`` makes of these rows (read as the Arrow types of
    ``arrow_schema``, booleans as Arrow booleans or 0/1 integers), value for value and dtype for
    dtype."""
    data = {c.name: _column(c, rows.column(c.name), share_values) for c in columns}
    return pd.DataFrame(data, columns=[c.name for c in columns])
