"""The bulk write path (``insert_frame``: executemany on SQLite, a COPY stream on PostgreSQL, of
Arrow's CSV or of COPY text) stores every value as it is, whatever characters it holds, and keeps
missing values NULL."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_pipelines.warehouse import golden_tables as gt
from crm_pipelines.warehouse.frames import CopyStream, copy_text, insert_frame, read_tenant_frame, text_chunks

AWKWARD = ["plain", "tab\there", "line\nbreak", "carriage\rreturn", "back\\slash", "\\N", "", "Müller & Söhne",
           "quote \" and ' and ,comma", "trailing backslash\\", "\\.", "emoji 🙂", None]


def _values(column: pd.Series) -> list:
    """The column's values with every missing marker (None, NaN, NA) as None."""
    return [None if pd.isna(v) else v for v in column.tolist()]


def test_awkward_text_numbers_and_missing_values_survive_the_round_trip(engine):
    n = len(AWKWARD)
    frame = pd.DataFrame({
        "tenant_id": "t1", "source_a": AWKWARD, "source_id_a": [f"a{k}" for k in range(n)], "source_b": "hero",
        "source_id_b": [f"b{k}" for k in range(n)], "golden_id_a": [None if k % 3 else f"G{k}" for k in range(n)],
        "golden_id_b": np.nan, "match_weight": [np.nan if k % 4 == 0 else k * 1.25 - 3 for k in range(n)],
        "match_probability": 0.1 + 1e-12, "decision": "review", "pattern_id": np.arange(n, dtype=np.int64) * 2**40,
        "created_at": "2025-01-01T00:00:00+00:00"})
    with engine.begin() as conn:
        assert insert_frame(conn, gt.match_pairs, frame) == n
    with engine.connect() as conn:
        got = read_tenant_frame(conn, gt.match_pairs, "t1").sort_values("source_id_a", key=lambda s: s.str[1:].astype(int))
    assert _values(got["source_a"]) == AWKWARD
    assert _values(got["golden_id_a"]) == [None if k % 3 else f"G{k}" for k in range(n)]
    assert _values(got["golden_id_b"]) == [None] * n
    assert _values(got["match_weight"]) == [None if k % 4 == 0 else k * 1.25 - 3 for k in range(n)]
    assert got["match_probability"].tolist() == [0.1 + 1e-12] * n  # floats exactly, not rounded
    assert got["pattern_id"].tolist() == [k * 2**40 for k in range(n)]


def test_booleans_and_integers_keep_their_types(engine):
    frame = pd.DataFrame({"tenant_id": "t1", "source": "hero", "source_id": ["1", "2", "3"],
                          "is_deleted": [True, False, None], "vat_valid": np.array([True, False, True])})
    with engine.begin() as conn:
        insert_frame(conn, gt.canonical_contacts, frame)
    with engine.connect() as conn:
        got = read_tenant_frame(conn, gt.canonical_contacts, "t1", columns=["source_id", "is_deleted", "vat_valid"])
    got = got.sort_values("source_id")
    assert [None if v is None else bool(v) for v in _values(got["is_deleted"])] == [True, False, None]
    assert [bool(v) for v in got["vat_valid"]] == [True, False, True]


def test_copy_text_escapes_only_what_copy_needs():
    assert copy_text(["a\tb", "c\\d", "e\nf\rg", None, float("nan"), 2, 2.5, True, np.False_]) == [
        "a\\tb", "c\\\\d", "e\\nf\\rg", "\\N", "\\N", "2", "2.5", "t", "f"]
    assert copy_text(["x", None, "y\\"]) == ["x", "\\N", "y\\\\"]  # the NULL marker itself is never escaped


def test_the_copy_stream_yields_every_row_once_in_any_read_size():
    frame = pd.DataFrame({"a": [f"v{k}" for k in range(1000)], "b": range(1000)})
    whole = CopyStream(text_chunks(frame, ["a", "b"], chunk=64)).read()
    pieces, stream = [], CopyStream(text_chunks(frame, ["a", "b"], chunk=64))
    while chunk := stream.read(777):
        pieces.append(chunk)
    assert b"".join(pieces) == whole
    assert whole.decode().splitlines() == [f"v{k}\t{k}" for k in range(1000)]


def test_values_arrow_cannot_type_are_stored_as_the_text_path_stores_them(engine):
    """On PostgreSQL the rows go as Arrow's CSV until a batch holds a value of another type (here a
    number in a text column, past the first batch of 65,536 rows): that COPY is undone and the rows
    go as COPY text, none twice, none lost."""
    n = 70_000
    golden = [f"G{k}" for k in range(n)]
    golden[-1] = 42
    frame = pd.DataFrame({"tenant_id": "t1", "source": "hero", "source_id": [f"s{k}" for k in range(n)],
                          "golden_id": golden, "link_method": "singleton", "match_probability": np.nan,
                          "linked_at": "2025-01-01"})
    with engine.begin() as conn:
        insert_frame(conn, gt.golden_contact_xref, frame)
    with engine.connect() as conn:
        got = read_tenant_frame(conn, gt.golden_contact_xref, "t1", columns=["source_id", "golden_id", "match_probability"])
    assert len(got) == n and got["source_id"].is_unique
    assert sorted(got["golden_id"].tolist()) == sorted([f"G{k}" for k in range(n - 1)] + ["42"])
    assert got["match_probability"].isna().all()
