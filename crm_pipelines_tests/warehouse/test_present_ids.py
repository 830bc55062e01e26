"""``FetchResult.present_ids``: an id scan marks every live row it does not list as deleted."""

from __future__ import annotations

import sqlalchemy as sa

from crm_pipelines.warehouse.raw_load import RunInfo, apply_fetch, utcnow
from crm_pipelines.warehouse.tables import raw_table


def to_row(raw: dict) -> dict:
    return {"source_id": raw["id"]}


def load(engine, records, run_id, complete=False, present=None, deleted=()):
    return apply_fetch(engine, RunInfo(run_id, "t1", "lexware", "contacts", utcnow()), records=records,
                       complete=complete, deleted_ids=deleted, to_row=to_row, cursor=None, present_ids=present)


def live_ids(engine):
    table = raw_table("lexware", "contacts")  # any registered object table
    with engine.connect() as conn:
        return set(conn.execute(sa.select(table.c.source_id).where(
            table.c.tenant_id == "t1", table.c.is_deleted.is_(False))).scalars())


def test_rows_missing_from_present_ids_are_deleted_in_a_delta(engine):
    load(engine, [{"id": str(i), "v": 0} for i in range(10)], "r1", complete=True)
    stats = load(engine, [{"id": "3", "v": 1}, {"id": "10", "v": 0}], "r2",
                 present=[str(i) for i in range(11) if i not in (5, 7)])
    assert stats.deleted == 2 and stats.updated == 1 and stats.inserted == 1
    assert live_ids(engine) == {str(i) for i in range(11)} - {"5", "7"}


def test_without_present_ids_a_delta_deletes_nothing_implicitly(engine):
    load(engine, [{"id": str(i)} for i in range(5)], "r1", complete=True)
    stats = load(engine, [], "r2")
    assert stats.deleted == 0 and live_ids(engine) == {str(i) for i in range(5)}


def test_present_ids_and_explicit_tombstones_combine(engine):
    load(engine, [{"id": str(i)} for i in range(5)], "r1", complete=True)
    stats = load(engine, [], "r2", present=["0", "1", "2", "3"], deleted=["0"])
    assert stats.deleted == 2 and live_ids(engine) == {"1", "2", "3"}
