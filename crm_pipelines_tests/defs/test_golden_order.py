"""The golden pipeline resolves records in key order, whatever order the database returns them in."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_pipelines.core.canonical import normalize_drafts
from crm_pipelines.core.config import MatchConfig
from crm_pipelines.core.golden.resolve import resolve_tenant
from crm_pipelines.core.synth import generate
from crm_pipelines.core.golden.order import in_key_order

from ..core.conftest import NOW


def test_any_row_order_gives_the_same_golden_tables():
    contacts = normalize_drafts([d for batch, _ in generate(600, seed=12) for d in batch]).contacts
    shuffled = contacts.iloc[np.random.default_rng(1).permutation(len(contacts))].reset_index(drop=True)
    a, b = in_key_order(contacts), in_key_order(shuffled)
    assert a.equals(b) and not shuffled.equals(b)
    assert in_key_order(a) is a  # rows already in key order (SQLite's) are not copied
    ra = resolve_tenant(a, None, None, MatchConfig(), NOW)
    rb = resolve_tenant(b, None, None, MatchConfig(), NOW)
    assert ra.xref.equals(rb.xref) and ra.golden_contacts.equals(rb.golden_contacts)


def _move(frame, tenant, rows, step):
    """The records at ``rows`` moved to another city, with a new content hash (as a source update)."""
    values = {"city": f"Neustadt {step}", "city_key": f"neustadt {step}", "street": None, "street_key": "",
              "house_number": None}
    out = frame.copy()
    for column, value in values.items():
        out.loc[rows, column] = value
    out.loc[rows, "content_hash"] = [f"moved{step}-{k}" for k in range(len(rows))]
    return out, [{"t": tenant, "s": s, "i": i, "h": h, **values}
                 for s, i, h in zip(out.loc[rows, "source"], out.loc[rows, "source_id"], out.loc[rows, "content_hash"])]


def test_chained_incremental_runs_keep_the_ids_of_the_in_memory_chain(engine):
    """Pipeline runs after delta publishes (PostgreSQL then returns the published xref in heap order,
    not key order) give every record the golden id that the same chain of runs gives in memory."""
    import datetime as dt

    import sqlalchemy as sa

    from crm_pipelines.defs.golden_logic import build_golden, publish_golden
    from crm_pipelines.warehouse import golden_tables as gt
    from crm_pipelines.warehouse.frames import insert_frame, read_tenant_frame

    contacts = in_key_order(normalize_drafts([d for batch, _ in generate(2500, seed=5) for d in batch]).contacts)
    extra = normalize_drafts([d for batch, _ in generate(40, seed=6) for d in batch]).contacts
    extra = extra.assign(source_id="new-" + extra["source_id"].astype(str))
    tenant = str(contacts["tenant_id"].iloc[0])
    with engine.begin() as conn:
        insert_frame(conn, gt.canonical_contacts, contacts)
    table = gt.canonical_contacts
    update = table.update().where(table.c.tenant_id == sa.bindparam("t"), table.c.source == sa.bindparam("s"),
                                  table.c.source_id == sa.bindparam("i")).values(
        city=sa.bindparam("city"), city_key=sa.bindparam("city_key"), street=sa.bindparam("street"),
        street_key=sa.bindparam("street_key"), house_number=sa.bindparam("house_number"), content_hash=sa.bindparam("h"))
    memory, modes = None, []
    for step in range(4):
        now = NOW + dt.timedelta(days=step)
        if step:
            rows = np.sort(np.random.default_rng(step).choice(len(contacts), len(contacts) // (40 if step != 2 else 80), replace=False))
            contacts, params = _move(contacts, tenant, rows, step)
            with engine.begin() as conn:
                conn.execute(update, params)
        if step == 2:  # records deleted at their source, and new ones
            gone = contacts.iloc[7::197]
            arriving = extra.iloc[:30].assign(tenant_id=tenant)
            contacts = in_key_order(pd.concat([contacts.drop(index=gone.index), arriving], ignore_index=True))
            with engine.begin() as conn:
                conn.execute(table.delete().where(table.c.tenant_id == tenant, sa.tuple_(table.c.source, table.c.source_id).in_(
                    list(zip(gone["source"], gone["source_id"])))))
                insert_frame(conn, gt.canonical_contacts, arriving)
        result = build_golden(engine, tenant, None, now)
        publish_golden(engine, tenant)
        modes.append(result.stats["mode"])
        _summary_is_the_published_tables(engine, tenant)
        memory = resolve_tenant(contacts, memory.state() if memory is not None else None, None, MatchConfig(), now)
    assert modes == ["full", "incremental", "incremental", "incremental"]
    assert memory.stats["mode"] == "incremental"
    with engine.connect() as conn:
        published = in_key_order(read_tenant_frame(conn, gt.golden_contact_xref, tenant))
    expected = memory.xref
    assert published["source_id"].tolist() == expected["source_id"].tolist()
    assert published["golden_id"].tolist() == expected["golden_id"].tolist()
    assert published["linked_at"].astype(str).tolist() == expected["linked_at"].astype(str).tolist()


def _summary_is_the_published_tables(engine, tenant: str) -> None:
    """What the golden_contacts asset shows, stored from the resolution when it was staged, equals
    the same questions asked of the published tables (the weakest merges: the same probabilities,
    and each shown merge is a published auto-merge with that probability and explanation; ties
    among equal probabilities come in the database's order)."""
    import json

    import sqlalchemy as sa

    from crm_pipelines.defs.golden_logic import queried_summary
    from crm_pipelines.warehouse.staging import published_summary

    with engine.connect() as conn:
        stored, queried = published_summary(conn, tenant), queried_summary(conn, tenant)
        assert stored is not None
        assert stored["largest"] == queried["largest"] and len(stored["largest"]) == 10
        assert stored["link_methods"] == json.loads(json.dumps(queried["link_methods"]))
        assert stored["decisions"] == queried["decisions"] and stored["decisions"]["auto_merge"] > 0
        weakest = stored["weakest_merges"]
        assert [w["match_probability"] for w in weakest] == [w["match_probability"] for w in queried["weakest_merges"]]
        assert len(weakest) == 5
        for w in weakest:
            found = conn.execute(sa.text(
                "select p.decision, e.explanation from match_pairs p join match_patterns e on e.tenant_id = p.tenant_id "
                "and e.pattern_id = p.pattern_id where p.tenant_id = :t and p.source_a = :a and p.source_id_a = :ia "
                "and p.source_b = :b and p.source_id_b = :ib and p.match_probability = :p"),
                {"t": tenant, "a": w["source_a"], "ia": w["source_id_a"], "b": w["source_b"], "ib": w["source_id_b"],
                 "p": w["match_probability"]}).all()
            assert [tuple(r) for r in found] == [("auto_merge", w["explanation"])]
