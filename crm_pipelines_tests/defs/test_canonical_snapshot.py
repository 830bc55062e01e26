"""The canonical snapshot: a golden run reads in full only the canonical rows that changed since the
last run, and gets exactly the rows a full read gives, on SQLite and PostgreSQL."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from crm_pipelines.core.canonical import CANONICAL_COLUMNS, normalize_drafts
from crm_pipelines.core.synth import generate
from crm_pipelines.defs import canonical_snapshot
from crm_pipelines.core.golden.order import in_key_order
from crm_pipelines.warehouse import golden_tables as gt
from crm_pipelines.warehouse.frames import insert_frame, read_tenant_frame

TABLE = gt.canonical_contacts


@pytest.fixture
def tenant(engine) -> str:
    contacts = normalize_drafts([d for batch, _ in generate(400, seed=4) for d in batch]).contacts
    other = contacts.iloc[:50].assign(tenant_id="other-tenant")  # same keys in another tenant: never read
    with engine.begin() as conn:
        insert_frame(conn, TABLE, contacts)
        insert_frame(conn, TABLE, other)
    return str(contacts["tenant_id"].iloc[0])


def _read(engine, tenant: str, max_share: float = 0.05):
    with engine.connect() as conn:
        narrow = read_tenant_frame(conn, TABLE, tenant, canonical_snapshot.NARROW)
        frame, info = canonical_snapshot.read_canonical(conn, TABLE, tenant, CANONICAL_COLUMNS, narrow, max_share, False,
                                                        order=in_key_order)
        full = read_tenant_frame(conn, TABLE, tenant, CANONICAL_COLUMNS)
    return frame, info, full


def _same_rows(frame: pd.DataFrame, full: pd.DataFrame) -> None:
    ordered = in_key_order(frame)
    pd.testing.assert_frame_equal(ordered.reset_index(drop=True), in_key_order(full).reset_index(drop=True))


def _edit(engine, tenant: str, moved: list[str], removed: list[str], added: pd.DataFrame | None = None) -> None:
    t = TABLE.c
    with engine.begin() as conn:
        for k, sid in enumerate(moved):  # what build_canonical writes for a changed draft: new values, new hash
            conn.execute(TABLE.update().where(t.tenant_id == tenant, t.source_id == sid).values(
                city="Neustadt", city_key="neustadt", content_hash=f"moved{k}-{sid}",
                job_title="Prokurist"))  # a column no other row has a value in: its type changes
        if removed:
            conn.execute(TABLE.delete().where(t.tenant_id == tenant, t.source_id.in_(removed)))
        if added is not None:
            insert_frame(conn, TABLE, added)


def test_only_changed_rows_are_read_and_the_rows_equal_a_full_read(engine, tenant):
    first, info, full = _read(engine, tenant)
    assert info["snapshot"] == "none" and info["saved"] == "base" and info["read_rows"] == len(full)
    _same_rows(first, full)

    ids = full["source_id"].tolist()
    added = pd.concat([full.iloc[[3]].assign(source_id="zz-new-record", content_hash="new-record"),  # last key
                       full.iloc[[100]].assign(source_id=ids[100] + "-b", content_hash="between")])  # a key between
    _edit(engine, tenant, moved=[ids[10], ids[20]], removed=[ids[30]], added=added)
    second, info, full = _read(engine, tenant)
    assert info == {"snapshot": "used", "read_rows": 4, "saved": "changes"}
    _same_rows(second, full)
    assert in_key_order(second) is second  # fresh rows were put in key order, no sort needed
    assert (second.loc[second["source_id"] == ids[10], "city"] == "Neustadt").all()
    assert first["job_title"].dtype == object and isinstance(second["job_title"].dtype, pd.StringDtype)

    _edit(engine, tenant, moved=[ids[40]], removed=[ids[50]])  # changes since the base accumulate
    third, info, full = _read(engine, tenant)
    assert info == {"snapshot": "used", "read_rows": 1, "saved": "changes"}
    _same_rows(third, full)

    unchanged, info, full = _read(engine, tenant)
    assert info == {"snapshot": "used", "read_rows": 0, "saved": "changes"}
    _same_rows(unchanged, full)


def test_many_changes_read_everything_and_start_a_new_base(engine, tenant):
    _read(engine, tenant)
    with engine.begin() as conn:
        ids = read_tenant_frame(conn, TABLE, tenant, ["source_id"])["source_id"].tolist()
    _edit(engine, tenant, moved=ids[: len(ids) // 10], removed=[])
    frame, info, full = _read(engine, tenant, max_share=0.05)
    assert info["snapshot"] == "too_many_changes" and info["read_rows"] == len(full) and info["saved"] == "base"
    _same_rows(frame, full)
    _edit(engine, tenant, moved=ids[-3:], removed=[])
    frame, info, full = _read(engine, tenant, max_share=0.5)
    assert info["snapshot"] == "used" and info["read_rows"] == 3
    _same_rows(frame, full)


def test_changes_past_a_quarter_of_the_base_are_folded_into_a_new_base(engine, tenant):
    _read(engine, tenant)
    with engine.begin() as conn:
        ids = read_tenant_frame(conn, TABLE, tenant, ["source_id"])["source_id"].tolist()
    _edit(engine, tenant, moved=ids[: len(ids) * 3 // 10], removed=[])
    frame, info, full = _read(engine, tenant, max_share=0.5)
    assert info["snapshot"] == "used" and info["saved"] == "base"  # 30% changed: rebased
    _same_rows(frame, full)
    _, info, _ = _read(engine, tenant)
    assert info == {"snapshot": "used", "read_rows": 0, "saved": "changes"}


@pytest.mark.parametrize("damage", ["garbage", "missing_base", "other_columns"])
def test_an_unusable_snapshot_means_a_full_read(engine, tenant, damage):
    _read(engine, tenant)
    base = canonical_snapshot._path(tenant, "base")
    if damage == "garbage":
        base.write_bytes(b"not a pickle")
    elif damage == "missing_base":
        base.unlink()
    else:
        other = pd.DataFrame({"source": ["x"], "source_id": ["1"], "content_hash": ["h"]})
        canonical_snapshot._save_base(tenant, list(other.columns), other, canonical_snapshot._keys(other))
    _edit(engine, tenant, moved=[], removed=[], added=None)
    frame, info, full = _read(engine, tenant)
    assert info["snapshot"] == "none" and info["read_rows"] == len(full) and info["saved"] == "base"
    _same_rows(frame, full)


def test_changes_of_a_stale_base_are_ignored(engine, tenant):
    """A changes file written against another base (e.g. left by a crash between the two writes)
    is not applied to this one: the diff against the warehouse catches every difference."""
    _read(engine, tenant)
    with engine.begin() as conn:
        ids = read_tenant_frame(conn, TABLE, tenant, ["source_id"])["source_id"].tolist()
    _edit(engine, tenant, moved=[ids[1]], removed=[])
    _read(engine, tenant)  # writes changes against the base
    changes = canonical_snapshot._path(tenant, "changes").read_bytes()
    _read(engine, tenant, max_share=0.0)  # nothing changed: still "changes"
    with engine.begin() as conn:
        conn.execute(TABLE.update().where(TABLE.c.tenant_id == tenant).values(content_hash=sa.func.upper(TABLE.c.content_hash)))
    _read(engine, tenant)  # every hash differs: full read, new base, changes file removed
    canonical_snapshot._path(tenant, "changes").write_bytes(changes)  # a changes file of the old base
    frame, info, full = _read(engine, tenant)
    assert info == {"snapshot": "used", "read_rows": 0, "saved": "changes"}
    _same_rows(frame, full)


def test_a_golden_run_from_the_snapshot_resolves_as_one_from_a_full_read(engine, tenant):
    from crm_pipelines.defs.golden_logic import build_golden, publish_golden

    from ..core.conftest import LATER, NOW

    first = build_golden(engine, tenant, None, NOW)
    publish_golden(engine, tenant)
    assert first.stats["canonical_snapshot"] == "none"
    with engine.begin() as conn:
        ids = read_tenant_frame(conn, TABLE, tenant, ["source_id"])["source_id"].tolist()
    _edit(engine, tenant, moved=ids[5:9], removed=[ids[12]])
    from_snapshot = build_golden(engine, tenant, None, LATER)
    assert from_snapshot.stats["canonical_snapshot"] == "used" and from_snapshot.stats["canonical_read_rows"] == 4
    for part in ("base", "changes"):
        canonical_snapshot._path(tenant, part).unlink(missing_ok=True)
    from_full_read = build_golden(engine, tenant, None, LATER)  # the same published state, read in full
    assert from_full_read.stats["canonical_snapshot"] == "none"
    assert from_snapshot.stats["mode"] == from_full_read.stats["mode"] == "incremental"
    for name in ("xref", "golden_contacts", "pairs", "review_queue", "link_history"):
        pd.testing.assert_frame_equal(getattr(from_snapshot, name), getattr(from_full_read, name))
