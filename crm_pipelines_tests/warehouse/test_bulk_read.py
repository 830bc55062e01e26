"""The bulk readers (SQLite: a helper process that reads rows into Arrow; PostgreSQL: COPY to CSV that
Arrow parses): ``read_tenant_frame`` gives the same frame through them as through the driver's rows,
value for value and dtype for dtype, and stays on the caller's connection where the SQLite reader
could not see what the caller sees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from crm_pipelines.core.canonical import normalize_drafts
from crm_pipelines.core.synth import generate
from crm_pipelines.warehouse import frames, pg_read, sqlite_read
from crm_pipelines.warehouse import golden_tables as gt
from crm_pipelines.warehouse.engine import ensure_schema, make_engine
from crm_pipelines.warehouse.frames import insert_frame, read_tenant_frame

from .test_golden_staging import _resolution


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'read.sqlite'}")
    ensure_schema(engine)
    yield engine
    engine.dispose()


def _reads(monkeypatch, engine, table: sa.Table, tenant: str, share_values: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(through the reader, in process); fails if the reader was not used."""
    reader = pg_read if engine.dialect.name == "postgresql" else sqlite_read
    used, read = [], reader.read_tenant

    def spy(*args, **kwargs):
        used.append(args[1].name)
        return read(*args, **kwargs)

    monkeypatch.setattr(reader, "read_tenant", spy)
    monkeypatch.setattr(frames, "READ_BULK_VALUES", 0)
    with engine.connect() as conn:
        bulk = read_tenant_frame(conn, table, tenant, share_values=share_values)
    assert used == [table.name], "the read did not go through the bulk reader"
    monkeypatch.setattr(frames, "READ_BULK_VALUES", 10**12)
    with engine.connect() as conn:
        here = read_tenant_frame(conn, table, tenant, share_values=share_values)
    return bulk, here


def _same(bulk: pd.DataFrame, here: pd.DataFrame) -> None:
    assert list(bulk.dtypes.astype(str)) == list(here.dtypes.astype(str))
    pd.testing.assert_frame_equal(bulk, here, check_exact=True)


@pytest.mark.parametrize("share_values", [True, False])
def test_a_bulk_read_equals_the_in_process_read_for_every_column_type(engine, monkeypatch, share_values):
    contacts = normalize_drafts([d for batch, _ in generate(300, seed=5) for d in batch]).contacts
    contacts.loc[contacts.index[::7], "is_deleted"] = True
    resolution = _resolution("t")
    with engine.begin() as conn:
        insert_frame(conn, gt.canonical_contacts, contacts)  # booleans, a column of NULLs only, JSON text
        insert_frame(conn, gt.golden_contacts, resolution.golden_contacts)  # integers
        insert_frame(conn, gt.match_pairs, resolution.pairs)  # doubles
        insert_frame(conn, gt.match_patterns, resolution.patterns)  # 64-bit integers
    tenant = str(contacts["tenant_id"].iloc[0])
    for table, who in ((gt.golden_contacts, "t"), (gt.match_pairs, "t"), (gt.match_patterns, "t"),
                       (gt.canonical_contacts, tenant)):
        bulk, here = _reads(monkeypatch, engine, table, who, share_values)
        assert len(here) > 0, table.name
        _same(bulk, here)
    assert bulk["is_deleted"].sum() == len(contacts.index[::7])
    if share_values:  # equal values are one object, as in a frame built in memory
        sources = bulk["source"].tolist()
        assert len({id(s) for s in sources}) == len(set(sources)) < len(sources)


def test_a_text_column_empty_in_the_reader_s_first_batch_is_still_read_as_text(engine, monkeypatch):
    n = 70_000  # more than the reader's first batch
    xref = pd.DataFrame({"tenant_id": "t", "source": "hero", "source_id": [f"h{k:06d}" for k in range(n)],
                         "golden_id": [f"G{k:06d}" for k in range(n)], "link_method": None,
                         "match_probability": np.nan, "linked_at": None})
    xref.loc[n - 5:, ["link_method", "linked_at"]] = ["auto_merge", "2025-01-01T00:00:00+00:00"]
    xref.loc[n - 3:, "match_probability"] = 0.97
    with engine.begin() as conn:
        insert_frame(conn, gt.golden_contact_xref, xref)
    bulk, here = _reads(monkeypatch, engine, gt.golden_contact_xref, "t", share_values=True)
    _same(bulk, here)
    assert bulk["link_method"].iloc[-1] == "auto_merge" and bulk["match_probability"].iloc[-1] == 0.97


def test_a_read_after_a_write_in_the_same_transaction_sees_the_write(sqlite_engine, monkeypatch):
    engine = sqlite_engine
    monkeypatch.setattr(frames, "READ_BULK_VALUES", 0)
    rows = pd.DataFrame({"tenant_id": "t", "source": "hero", "source_id": ["a", "b"], "golden_id": ["G1", "G2"]})
    with engine.begin() as conn:
        insert_frame(conn, gt.golden_contact_xref, rows)
        assert read_tenant_frame(conn, gt.golden_contact_xref, "t")["source_id"].tolist() == ["a", "b"]


def test_a_failing_reader_says_why(sqlite_engine):
    engine = sqlite_engine
    missing = sa.Table("not_there", sa.MetaData(), sa.Column("tenant_id", sa.String))
    with pytest.raises(sqlite_read.BulkReadFailed, match="no such table"):
        sqlite_read.read_tenant(engine.url.database, missing, [missing.c.tenant_id], "t", False, busy_timeout_s=5)


def test_the_driver_s_rows_make_the_same_frame_with_and_without_shared_values(engine, monkeypatch):
    """Without sharing, the rows become columns in pandas (``DataFrame.from_records``); with it, a list
    per column. Same values, same dtypes: booleans converted from the driver's own values, a column
    of NULLs only, doubles with NULLs, integers, text with NULLs."""
    contacts = normalize_drafts([d for batch, _ in generate(200, seed=3) for d in batch]).contacts
    contacts.loc[contacts.index[::5], "is_deleted"] = True
    xref = pd.DataFrame({"tenant_id": "t", "source": "hero", "source_id": ["a", "b", "c"], "golden_id": ["G1", "G2", "G2"],
                         "link_method": [None, "auto_merge", "auto_merge"], "match_probability": [np.nan, 0.97, 0.99],
                         "linked_at": "2025-01-01T00:00:00+00:00"})
    with engine.begin() as conn:
        insert_frame(conn, gt.canonical_contacts, contacts)
        insert_frame(conn, gt.golden_contact_xref, xref)
        insert_frame(conn, gt.golden_contacts, _resolution("t").golden_contacts)
    monkeypatch.setattr(frames, "READ_BULK_VALUES", 10**12)  # the driver's rows, in process
    tenant = str(contacts["tenant_id"].iloc[0])
    for table, who in ((gt.canonical_contacts, tenant), (gt.golden_contact_xref, "t"), (gt.golden_contacts, "t")):
        with engine.connect() as conn:
            plain = read_tenant_frame(conn, table, who)
            shared = read_tenant_frame(conn, table, who, share_values=True)
        assert len(plain) > 0, table.name
        _same(plain, shared)
    with engine.connect() as conn:
        flags = read_tenant_frame(conn, gt.canonical_contacts, tenant, ["is_deleted", "vat_valid"])
        probabilities = read_tenant_frame(conn, gt.golden_contact_xref, "t", ["source_id", "match_probability"])
    assert flags["is_deleted"].dtype == bool and int(flags["is_deleted"].sum()) == len(contacts.index[::5])
    assert probabilities.sort_values("source_id")["match_probability"].isna().tolist() == [True, False, False]


def test_the_tenant_column_is_the_tenant_s_without_being_read(engine, monkeypatch):
    """The tenant column is set by the read (every row holds the tenant it selects), in its place and
    as text; a tenant without rows gives the driver's empty frame, every column included."""
    xref = pd.DataFrame({"tenant_id": ["t", "t", "u"], "source": "hero", "source_id": ["a", "b", "c"],
                         "golden_id": ["G1", "G2", "G3"]})
    with engine.begin() as conn:
        insert_frame(conn, gt.golden_contact_xref, xref)
    monkeypatch.setattr(frames, "READ_BULK_VALUES", 10**12)  # the driver's rows, in process
    with engine.connect() as conn:
        read = read_tenant_frame(conn, gt.golden_contact_xref, "t")
        stored = pd.DataFrame(conn.execute(sa.select(gt.golden_contact_xref).where(
            gt.golden_contact_xref.c.tenant_id == "t")).all(), columns=[c.name for c in gt.golden_contact_xref.c])
        empty = read_tenant_frame(conn, gt.golden_contact_xref, "nobody")
        narrow = read_tenant_frame(conn, gt.golden_contact_xref, "u", ["tenant_id"])
    assert list(read.columns) == list(stored.columns) and read["tenant_id"].tolist() == stored["tenant_id"].tolist() == ["t", "t"]
    assert read["tenant_id"].dtype == read["source"].dtype  # text, as the other text columns read
    assert list(empty.columns) == list(stored.columns) and len(empty) == 0
    assert narrow["tenant_id"].tolist() == ["u"]  # a read of the tenant column alone reads it
