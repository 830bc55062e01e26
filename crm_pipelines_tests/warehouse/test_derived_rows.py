"""A staged table whose rows repeat those of a table staged before it (a first resolution's link
history: one "linked" event per xref row) is written by selecting them from that table: the staged
rows are exactly those of the frame, on every path, and a frame that does not repeat them row for
row is written as it is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from crm_pipelines.warehouse import derived_rows
from crm_pipelines.warehouse import staging as staging_module
from crm_pipelines.warehouse.staging import STAGING, stage, stage_tables

from .test_golden_staging import _resolution
from .test_staging_early import _dump

TENANT = "tenant-a"
HISTORY = STAGING["link_history"]


def test_a_recipe_names_the_repeated_columns_and_the_constants():
    source = pd.DataFrame({"a": ["x", None, "z"], "b": ["1", "2", "3"]})
    frame = pd.DataFrame({"a": ["x", np.nan, "z"], "event": "linked", "none": [None, np.nan, None], "b": ["1", "2", "3"]})
    how = derived_rows.recipe(frame, source, ["a", "event", "none", "b"])
    assert how == {"a": ("column", "a"), "event": ("constant", "linked"), "none": ("constant", None), "b": ("column", "b")}


@pytest.mark.parametrize("change", ["one value differs", "a value where the source has none", "two constants",
                                    "numbers", "a missing value of pandas", "shorter", "empty", "unknown column"])
def test_a_frame_that_does_not_repeat_the_source_has_no_recipe(change):
    source = pd.DataFrame({"a": ["x", None, "z"]})
    frame = pd.DataFrame({"a": ["x", None, "z"], "event": "linked"})
    columns = ["a", "event"]
    if change == "one value differs":
        frame.loc[2, "a"] = "y"
    elif change == "a value where the source has none":
        frame.loc[1, "a"] = "y"
    elif change == "two constants":
        frame.loc[1, "event"] = "relinked"
    elif change == "numbers":
        frame, source = pd.DataFrame({"a": [1, 2, 3]}), pd.DataFrame({"a": [1, 2, 3]})
        columns = ["a"]
    elif change == "a missing value of pandas":
        frame["event"] = pd.array(["linked", pd.NA, "linked"], dtype=object)
    elif change == "shorter":
        frame = frame.iloc[:2]
    elif change == "empty":
        frame, source = frame.iloc[:0], source.iloc[:0]
    else:
        columns = ["a", "event", "reason"]
    assert derived_rows.recipe(frame, source, columns) is None


def _statements(engine) -> list[str]:
    seen: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda conn, cursor, statement, *rest: seen.append(statement))
    return seen


def _plainly(monkeypatch, engine, resolution) -> list[tuple]:
    """The staged history when every frame is written as it is."""
    monkeypatch.setattr(staging_module, "DERIVED_FROM", {})
    with engine.begin() as conn:
        stage(conn, TENANT, resolution)
    monkeypatch.undo()
    return _dump(engine, HISTORY, TENANT)


def test_a_first_history_is_selected_from_the_staged_xref_and_equals_the_frame(engine, monkeypatch):
    resolution = _resolution(TENANT)
    assert (resolution.link_history["event"] == "linked").all()  # a first resolution: every record is new
    statements = _statements(engine)
    with engine.begin() as conn:
        counts = stage(conn, TENANT, resolution)
    derived = [s for s in statements if s.startswith("INSERT INTO stg_golden_link_history") and "SELECT" in s]
    assert len(derived) == 1 and "stg_golden_contact_xref" in derived[0]
    staged = _dump(engine, HISTORY, TENANT)
    assert counts["link_history"] == len(staged) == len(resolution.xref) == 40
    assert staged == _plainly(monkeypatch, engine, resolution)


@pytest.mark.parametrize("change", ["golden_id", "previous_golden_id", "at", "link_method"])
def test_a_history_that_differs_from_the_xref_in_one_row_is_staged_as_it_is(engine, monkeypatch, change):
    resolution = _resolution(TENANT)
    history = resolution.link_history.copy()
    row = history.index[7]
    history.loc[row, change] = {"golden_id": "G-elsewhere", "previous_golden_id": "G-before",
                                "at": "2020-01-01T00:00:00+00:00", "link_method": None}[change]
    resolution.link_history = history
    statements = _statements(engine)
    with engine.begin() as conn:
        stage(conn, TENANT, resolution)
    assert not [s for s in statements if s.startswith("INSERT INTO stg_golden_link_history") and "SELECT" in s]
    staged = _dump(engine, HISTORY, TENANT)
    assert staged == _plainly(monkeypatch, engine, resolution)
    value = history.loc[row, change]
    position = [c.name for c in HISTORY.c if c.name != "batch_id"].index(change)
    changed = [r for r in staged if (r[position] is None if pd.isna(value) else r[position] == value)]
    assert len(changed) == 1  # the one changed value, as the frame holds it


def test_the_bulk_writer_stages_the_selected_history_as_the_in_process_path_does(tmp_path, monkeypatch):
    from crm_pipelines.warehouse.engine import ensure_schema, make_engine

    engines = {}
    for name in ("bulk", "plain"):
        engines[name] = make_engine(f"sqlite:///{tmp_path / name}.sqlite")
        ensure_schema(engines[name])
    resolution = _resolution(TENANT)
    stage_tables(engines["bulk"], TENANT, resolution, bulk_values=0)  # a staging file, written by the helper
    assert _dump(engines["bulk"], HISTORY, TENANT) == _plainly(monkeypatch, engines["plain"], resolution)
    history = resolution.link_history.copy()
    history.loc[history.index[3], "golden_id"] = "G-elsewhere"
    resolution.link_history = history
    stage_tables(engines["bulk"], TENANT, resolution, bulk_values=0)
    staged = _dump(engines["bulk"], HISTORY, TENANT)
    assert staged == _plainly(monkeypatch, engines["plain"], resolution)
    assert sum(r[4] == "G-elsewhere" for r in staged) == 1
    for engine in engines.values():
        engine.dispose()
