"""A frame to write that repeats, row for row, columns of a frame written just before it, plus
columns of one value: written as ``INSERT ... SELECT`` from the rows already in the database
instead of sending every value again.

The case it serves: the link history of a tenant's first resolution holds one ``linked`` event per
xref row, with the xref row's record, golden id and link method (999k records: 10 million values,
2.8 s of the bulk writer's helper; the same rows selected from the staged xref took 0.4 s). The
rows are compared before, so the statement writes exactly the frame's values; any other frame is
written as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

Recipe = dict[str, tuple[str, object]]  # column → ("column", name in the source) or ("constant", value)


def recipe(frame: pd.DataFrame, source: pd.DataFrame, columns: Sequence[str]) -> Recipe | None:
    """How each of ``columns`` of ``frame`` is made from the rows of ``source``, in order:
    ``("column", name)`` where it holds the text of ``source``'s column of that name in every row
    (missing where that one is missing), ``("constant", value)`` where it holds one text in every
    row (``None``: no value in any row). None when the frames differ in length, a column is neither,
    or the frame is empty."""
    if len(frame) == 0 or len(frame) != len(source):
        return None
    out: Recipe = {}
    for name in columns:
        if name not in frame:
            return None
        values = frame[name].to_numpy(dtype=object)
        # a pandas text column holds nothing but text (no need to look at every value)
        if name in source and (isinstance(frame[name].dtype, pd.StringDtype) or _is_text(values)) and _same_text(
                values, source[name].to_numpy(dtype=object)):
            out[name] = ("column", name)
            continue
        value = _constant(values)
        if value is _NONE:
            return None
        out[name] = ("constant", value)
    return out


_NONE = object()


def _is_text(values: np.ndarray) -> bool:
    return pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")


def _same_text(values: np.ndarray, other: np.ndarray) -> bool:
    """Both hold the same value in every row (missing where the other is missing); ``values`` is
    known to hold text."""
    try:
        same = np.asarray(values == other, dtype=bool)
    except (TypeError, ValueError):  # a value without a plain truth (pd.NA compared)
        return False
    unequal = np.flatnonzero(~same)
    return bool(pd.isna(values[unequal]).all() and pd.isna(other[unequal]).all())


def _constant(values: np.ndarray) -> object:
    """The one text of every row, None when no row has a value, else ``_NONE``."""
    first = values[0]
    if first.__class__ is str:
        try:
            return first if bool(np.asarray(values == first, dtype=bool).all()) else _NONE
        except (TypeError, ValueError):
            return _NONE
    return None if bool(pd.isna(values).all()) else _NONE


def insert_from(table: sa.Table, source: sa.Table, tenant_id: str, how: Recipe) -> sa.Executable:
    """``INSERT INTO table (...) SELECT ... FROM source WHERE tenant_id = :tenant_id``, by ``how``."""
    exprs = [source.c[value] if kind == "column" else sa.null() if value is None else sa.literal(value, table.c[name].type)
             for name, (kind, value) in how.items()]
    rows = sa.select(*(e.label(f"c{k}") for k, e in enumerate(exprs))).where(source.c.tenant_id == tenant_id)
    return table.insert().from_select(list(how), rows)
