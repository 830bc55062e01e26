"""Staging and publishing golden tables through the bulk write path, on SQLite and PostgreSQL:
values survive the round trip (None stays NULL, numbers stay numbers), only the tenant's rows are
replaced, and nothing is visible before ``publish``."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from crm_pipelines.warehouse import golden_tables as gt
from crm_pipelines.warehouse.frames import read_tenant_frame, replace_tenant_frame
from crm_pipelines.warehouse.staging import STAGING, publish, stage

from ..core.conftest import person, resolve


def _resolution(tenant: str):
    drafts = [person(f"p{k}", f"Vorname{k}", f"Nachname{k}", tenant=tenant, emails=[("work", f"p{k}@x{k}.de")],
                     phones=[("mobile", f"0171 {3000000 + k}")], postal_code=f"{20000 + k}") for k in range(30)]
    drafts += [person(f"p{k}", f"Vorname{k}", f"Nachname{k}", tenant=tenant, source="ms365",
                      emails=[("work", f"P{k}@X{k}.de")]) for k in range(10)]
    return resolve(drafts)


def _count(conn, table, tenant):
    return conn.execute(sa.select(sa.func.count()).select_from(table).where(table.c.tenant_id == tenant)).scalar_one()


def test_stage_then_publish_round_trips_values_per_tenant(engine):
    a, b = _resolution("tenant-a"), _resolution("tenant-b")
    with engine.begin() as conn:
        stage(conn, "tenant-b", b)
    with engine.begin() as conn:
        publish(conn, "tenant-b")
    with engine.begin() as conn:
        staged = stage(conn, "tenant-a", a)
    assert staged["golden_contacts"] == len(a.golden_contacts) == 30
    assert staged["xref"] == 40 and staged["pairs"] == len(a.pairs) > 0
    with engine.connect() as conn:  # staged, not yet visible
        assert _count(conn, gt.golden_contacts, "tenant-a") == 0
    with engine.begin() as conn:
        counts = publish(conn, "tenant-a")
    assert counts["golden_contacts"] == 30 and counts["xref"] == 40
    with engine.connect() as conn:
        golden = read_tenant_frame(conn, gt.golden_contacts, "tenant-a").set_index("golden_id")
        xref = read_tenant_frame(conn, gt.golden_contact_xref, "tenant-a")
        assert _count(conn, gt.golden_contacts, "tenant-b") == 30  # the other tenant untouched
        counts_stored = conn.execute(sa.select(gt.golden_contacts.c.member_count).where(
            gt.golden_contacts.c.tenant_id == "tenant-a")).scalars().all()
    want = a.golden_contacts.set_index("golden_id")
    assert set(golden.index) == set(want.index)
    row, expect = golden.loc[want.index[0]], want.iloc[0]
    assert row["member_count"] == expect["member_count"]
    assert sorted(counts_stored) == sorted(want["member_count"].tolist()) and all(type(c) is int for c in counts_stored)
    assert row["company_name"] is None and row["first_name"] == expect["first_name"]
    assert json.loads(row["provenance"]) == json.loads(expect["provenance"])
    singles = xref[xref["link_method"] == "singleton"]
    assert singles["match_probability"].isna().all()
    merged = xref[xref["link_method"] == "auto_merge"]
    assert len(merged) == 20 and (merged["match_probability"] > 0.99).all()
    with engine.connect() as conn:  # every published pair finds its explanation by pattern id
        explained = conn.execute(sa.text(
            "select count(*), count(e.explanation) from match_pairs p left join match_patterns e "
            "on e.tenant_id = p.tenant_id and e.pattern_id = p.pattern_id where p.tenant_id = 'tenant-a'")).one()
    assert explained[0] == explained[1] == len(a.pairs) > 0
    assert '"email": {"level": "shared"' in a.patterns.explanation.iloc[0]


def test_a_warehouse_of_an_earlier_layout_gains_the_new_columns(engine):
    """match_pairs carried its explanation inline before pattern ids: ensure_schema adds the column,
    the old one stays (NULL in new rows), and a publish works on the migrated table."""
    from crm_pipelines.warehouse.engine import (add_missing_columns, add_missing_indexes, drop_obsolete_indexes,
                                                ensure_schema)
    from crm_pipelines.warehouse.schema import metadata

    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE match_pairs")
        key = "id SERIAL PRIMARY KEY" if engine.dialect.name == "postgresql" else "id INTEGER PRIMARY KEY"
        conn.exec_driver_sql(f"CREATE TABLE match_pairs ({key}, tenant_id VARCHAR(255), source_a VARCHAR(255), "
                             "source_id_a VARCHAR(255), source_b VARCHAR(255), source_id_b VARCHAR(255), golden_id_a VARCHAR(255), "
                             "golden_id_b VARCHAR(255), match_weight FLOAT, match_probability FLOAT, decision VARCHAR(255), "
                             "explanation TEXT, created_at VARCHAR(255))")
        # an index of an earlier version that nothing reads any more
        conn.exec_driver_sql("CREATE INDEX ix_match_pairs_record_b ON match_pairs (tenant_id, source_b, source_id_b)")
    ensure_schema(engine)
    assert add_missing_columns(engine, metadata) == []  # done once
    assert add_missing_indexes(engine, metadata) == [] and drop_obsolete_indexes(engine) == []
    with engine.connect() as conn:  # the index a delta publish finds pairs by; the obsolete one is gone
        names = {ix["name"] for ix in sa.inspect(conn).get_indexes("match_pairs")}
    assert "ix_match_pairs_record_a" in names and "ix_match_pairs_record_b" not in names
    a = _resolution("tenant-a")
    with engine.begin() as conn:
        stage(conn, "tenant-a", a)
        counts = publish(conn, "tenant-a")
    assert counts["pairs"] == len(a.pairs) > 0
    with engine.connect() as conn:
        stored = conn.execute(sa.text("select pattern_id from match_pairs where tenant_id = 'tenant-a'")).scalars().all()
    assert sorted(stored) == sorted(a.pairs.pattern_id.tolist())


def test_a_frame_with_another_tenants_rows_is_refused(engine):
    a = _resolution("tenant-a")
    with engine.begin() as conn, pytest.raises(ValueError, match="another tenant"):
        replace_tenant_frame(conn, STAGING["xref"], "tenant-b", a.xref)


def test_restaging_replaces_rows_instead_of_adding(engine):
    a = _resolution("tenant-a")
    for _ in range(2):
        with engine.begin() as conn:
            stage(conn, "tenant-a", a)
    with engine.connect() as conn:
        assert _count(conn, STAGING["xref"], "tenant-a") == 40
        assert _count(conn, STAGING["pairs"], "tenant-a") == len(a.pairs)
    empty = pd.DataFrame(columns=a.review_queue.columns)
    with engine.begin() as conn:
        assert replace_tenant_frame(conn, STAGING["review_queue"], "tenant-a", empty) == 0


def _published(conn, name, tenant):
    from crm_pipelines.warehouse.staging import PUBLISHED

    table = PUBLISHED[name]
    frame = read_tenant_frame(conn, table, tenant)
    return frame.drop(columns=[c for c in ("id",) if c in frame])


def _rowset(frame, columns):
    out = frame[columns].astype(object).where(frame[columns].notna(), None)
    return sorted(map(tuple, out.astype(str).to_numpy().tolist()))


def _full_then_incremental(engine):
    """A published full resolution, and an incremental one of the same records (6 edited, 3 deleted,
    3 copies added)."""
    import dataclasses

    import numpy as np

    from crm_pipelines.core.canonical import normalize_drafts
    from crm_pipelines.core.config import MatchConfig
    from crm_pipelines.core.golden.resolve import resolve_tenant
    from crm_pipelines.core.synth import generate
    from crm_pipelines.warehouse.staging import staged_mode

    from ..core.conftest import LATER, NOW

    drafts = [d for batch, _ in generate(400, seed=4) for d in batch]
    first = resolve_tenant(normalize_drafts(drafts).contacts, None, None, MatchConfig(), NOW)
    tenant = first.xref.tenant_id.iloc[0]
    with engine.begin() as conn:
        stage(conn, tenant, first)
        assert staged_mode(conn, tenant) == "full"
        publish(conn, tenant)
    pick = np.random.default_rng(2).choice(len(drafts), 12, replace=False)
    edited = [dataclasses.replace(d, city="Neustadt", street=None) if k in pick[:6] else d
              for k, d in enumerate(drafts) if k not in pick[6:9]]
    edited += [dataclasses.replace(drafts[k], source="weclapp", source_id=f"copy{k}") for k in pick[9:]]
    inc = resolve_tenant(normalize_drafts(edited).contacts, first.state(), None, MatchConfig(), LATER)
    assert inc.stats["mode"] == "incremental" and inc.delta is not None
    return tenant, inc


@pytest.mark.parametrize("update_from", [True, False], ids=["in_place", "without_update_from"])
def test_an_incremental_resolution_publishes_only_its_delta(engine, monkeypatch, update_from):
    """A full publish, then an incremental resolution (1% edited, some added, some deleted): only the
    changed rows are staged, and the published tables equal the incremental resolution's tables;
    also where the database has no ``UPDATE ... FROM`` (SQLite before 3.33), which deletes and
    inserts again the rows of the staged keys."""
    from crm_pipelines.warehouse import staging as staging_module
    from crm_pipelines.warehouse.staging import PUBLISHED, golden_published_rows, staged_mode

    if not update_from:
        monkeypatch.setattr(staging_module, "_updates_from", lambda conn: False)
    tenant, inc = _full_then_incremental(engine)

    for run in range(3):  # publishing the same staged delta again changes nothing
        with engine.begin() as conn:
            staged = stage(conn, tenant, inc)
            assert staged_mode(conn, tenant) == "delta"
            assert staged["golden_contacts"] == len(inc.delta.golden_contacts) < len(inc.golden_contacts)
            assert staged["xref"] == len(inc.delta.xref) < len(inc.xref)
            if run == 2:  # a warehouse whose last publish kept no row counts (an earlier version): counted
                conn.execute(golden_published_rows.delete())
            counts = publish(conn, tenant)
            # the delta publish's counts are kept ones plus inserts minus deletes: the same as counting
            assert counts == {name: _count(conn, table, tenant) for name, table in PUBLISHED.items()}
            assert counts["xref"] == len(inc.xref) and counts["golden_contacts"] == len(inc.golden_contacts)
        with engine.connect() as conn:
            for name, want in (("golden_contacts", inc.golden_contacts), ("xref", inc.xref), ("pairs", inc.pairs),
                               ("aliases", inc.aliases), ("review_queue", inc.review_queue), ("patterns", inc.patterns)):
                got = _published(conn, name, tenant)
                columns = [c for c in want.columns if c in got.columns and c != "id"]
                assert _rowset(got, columns) == _rowset(want, columns), name
    # a delta staged by an earlier version (its scope named whole records) is refused, not half-applied
    from crm_pipelines.warehouse.staging import StagedByEarlierVersion, stg_golden_scope

    with engine.begin() as conn:
        stage(conn, tenant, inc)
        conn.execute(stg_golden_scope.insert().values(tenant_id=tenant, target="record", key_a="hero", key_b="x"))
    with pytest.raises(StagedByEarlierVersion, match="materialize golden_resolution"):
        with engine.begin() as conn:
            publish(conn, tenant)
    with engine.connect() as conn:
        assert _rowset(_published(conn, "pairs", tenant), list(inc.pairs.columns)) == _rowset(
            inc.pairs, list(inc.pairs.columns))


def _pair_ids(conn, tenant) -> dict[tuple, int]:
    t = gt.match_pairs.c
    return {tuple(row[:4]): row[4] for row in conn.execute(sa.select(
        t.source_a, t.source_id_a, t.source_b, t.source_id_b, t.id).where(t.tenant_id == tenant))}


def test_a_delta_replaces_a_published_row_of_the_same_key_in_place(engine):
    """A staged pair with the key of a published one takes its place: the pair keeps its id (and its
    key's index entries); the scope names only the keys that nothing staged replaces."""
    from crm_pipelines.warehouse.staging import stg_golden_scope

    tenant, inc = _full_then_incremental(engine)
    with engine.connect() as conn:
        before = _pair_ids(conn, tenant)
    with engine.begin() as conn:
        stage(conn, tenant, inc)
        scope = conn.execute(sa.select(stg_golden_scope.c.key_a, stg_golden_scope.c.key_b, stg_golden_scope.c.key_c,
                                       stg_golden_scope.c.key_d).where(stg_golden_scope.c.target == "pair")).all()
        publish(conn, tenant)
    staged_keys = set(map(tuple, inc.delta.pairs[["source_a", "source_id_a", "source_b", "source_id_b"]].to_numpy().tolist()))
    assert not staged_keys & set(map(tuple, scope))  # the scope: removed keys only
    kept = staged_keys & set(before)
    assert 0 < len(kept) < len(staged_keys)  # some staged pairs replace a published one, some are new
    with engine.connect() as conn:
        after = _pair_ids(conn, tenant)
        assert {k: after[k] for k in kept} == {k: before[k] for k in kept}
        got = _published(conn, "pairs", tenant)
    columns = [c for c in inc.pairs.columns if c in got.columns]
    assert _rowset(got, columns) == _rowset(inc.pairs, columns)


def test_a_delta_whose_scope_names_the_replaced_keys_too_publishes_the_same_rows(engine):
    """A delta staged by an earlier version named every key it replaced, the restaged ones too: those
    rows are deleted and inserted again, and the published tables are the same."""
    from crm_pipelines.warehouse.staging import PAIR_SCOPE, PUBLISHED, stg_golden_scope

    tenant, inc = _full_then_incremental(engine)
    delta = inc.delta
    restaged = pd.concat([
        pd.DataFrame({"tenant_id": tenant, "target": "golden", "key_a": delta.golden_contacts["golden_id"].to_numpy()}),
        pd.DataFrame({"tenant_id": tenant, "target": "xref", "key_a": delta.xref["source"].to_numpy(),
                      "key_b": delta.xref["source_id"].to_numpy()}),
        pd.DataFrame({"tenant_id": tenant, "target": "pair", **{k: delta.pairs[c].to_numpy() for k, c in zip(
            PAIR_SCOPE, ["source_a", "source_id_a", "source_b", "source_id_b"])}})], ignore_index=True)
    with engine.begin() as conn:
        stage(conn, tenant, inc)
        conn.execute(stg_golden_scope.insert(), restaged.astype(object).where(restaged.notna(), None).to_dict("records"))
        counts = publish(conn, tenant)
        assert counts == {name: _count(conn, table, tenant) for name, table in PUBLISHED.items()}
    with engine.connect() as conn:
        for name, want in (("golden_contacts", inc.golden_contacts), ("xref", inc.xref), ("pairs", inc.pairs)):
            got = _published(conn, name, tenant)
            columns = [c for c in want.columns if c in got.columns and c != "id"]
            assert _rowset(got, columns) == _rowset(want, columns), name


def test_reading_with_shared_values_gives_the_same_frame(engine):
    """share_values only lays text values out as a frame built in memory (equal values one object,
    each column's strings made again in column order): same values, same dtypes."""
    from crm_pipelines.core.canonical import CANONICAL_COLUMNS, normalize_drafts
    from crm_pipelines.core.synth import generate
    from crm_pipelines.warehouse.frames import insert_frame

    contacts = normalize_drafts([d for batch, _ in generate(300, seed=9) for d in batch]).contacts
    tenant = contacts.tenant_id.iloc[0]
    with engine.begin() as conn:
        insert_frame(conn, gt.canonical_contacts, contacts)
    with engine.connect() as conn:
        plain = read_tenant_frame(conn, gt.canonical_contacts, tenant, CANONICAL_COLUMNS)
        shared = read_tenant_frame(conn, gt.canonical_contacts, tenant, CANONICAL_COLUMNS, share_values=True)
    assert len(plain) == len(contacts) and plain.equals(shared)
    assert list(plain.dtypes) == list(shared.dtypes)
    sources = shared.source.to_numpy(dtype=object)
    assert len({id(v) for v in sources}) == shared.source.nunique() < len(sources)  # one object per value


def test_publishing_the_same_staging_again_keeps_one_copy_of_its_history(engine):
    """History is appended per publish; a re-publish of the same staging (a retried publish step)
    replaces its own rows instead of adding them again, and earlier publishes' rows stay."""
    from crm_pipelines.warehouse.staging import golden_published_rows

    first, second = _resolution("tenant-a"), _resolution("tenant-a")
    with engine.begin() as conn:
        stage(conn, "tenant-a", first)
        stage(conn, "tenant-b", _resolution("tenant-b"))
        assert publish(conn, "tenant-b")["link_history"] == 40  # another tenant's history is not counted
    for _ in range(2):
        with engine.begin() as conn:
            assert publish(conn, "tenant-a")["link_history"] == 40
    with engine.connect() as conn:
        assert _count(conn, gt.golden_link_history, "tenant-a") == len(first.link_history) == 40
    with engine.begin() as conn:  # a new staging is a new batch: its rows are added to the history
        stage(conn, "tenant-a", second)
        # published by an earlier version (no counts kept): the rows the tenant had are counted too
        conn.execute(golden_published_rows.delete())
    for _ in range(3):
        with engine.begin() as conn:
            assert publish(conn, "tenant-a")["link_history"] == 80
    with engine.connect() as conn:
        history = read_tenant_frame(conn, gt.golden_link_history, "tenant-a")
    assert len(history) == 80 and history["batch_id"].nunique() == 2
    with engine.begin() as conn:  # the history's rows replaced by a re-publish are not counted twice
        assert publish(conn, "tenant-a")["link_history"] == 80
    assert history.groupby("batch_id").size().tolist() == [40, 40]


def test_publishing_without_a_staging_is_refused_and_keeps_the_published_tables(engine):
    """A tenant whose staging is gone (never staged, or a warehouse of an older version) would be
    published as empty tables: the publish refuses instead."""
    from crm_pipelines.warehouse.staging import NothingStaged, stg_golden_publish

    a = _resolution("tenant-a")
    with engine.begin() as conn:
        stage(conn, "tenant-a", a)
        publish(conn, "tenant-a")
        conn.execute(stg_golden_publish.delete())
    for tenant in ("tenant-a", "tenant-never-staged"):
        with pytest.raises(NothingStaged, match=tenant):
            with engine.begin() as conn:
                publish(conn, tenant)
    with engine.connect() as conn:
        assert _count(conn, gt.golden_contacts, "tenant-a") == 30 and _count(conn, gt.golden_contact_xref, "tenant-a") == 40


@pytest.mark.postgres
def test_postgresql_staging_is_unlogged_and_an_older_logged_staging_is_converted(pg_database):
    """Staging skips the write-ahead log on PostgreSQL (it is rebuilt by rerunning the resolution);
    the published tables stay logged. A warehouse made before keeps working: ensure_schema converts."""
    from crm_pipelines.warehouse.engine import ensure_schema, make_engine
    from crm_pipelines.warehouse.staging import STAGING_TABLES

    engine = make_engine(pg_database)
    try:
        ensure_schema(engine)
        persistence = "select relname, relpersistence from pg_class where relkind = 'r' and relname = any(:n)"
        names = [t.name for t in STAGING_TABLES] + ["golden_contacts", "golden_contact_xref", "match_pairs"]
        with engine.connect() as conn:
            kinds = dict(conn.execute(sa.text(persistence), {"n": names}).all())
        assert {t.name: kinds[t.name] for t in STAGING_TABLES} == {t.name: "u" for t in STAGING_TABLES}
        assert [kinds[n] for n in ("golden_contacts", "golden_contact_xref", "match_pairs")] == ["p", "p", "p"]

        with engine.begin() as conn:  # as an earlier version left it
            conn.exec_driver_sql("ALTER TABLE stg_golden_contacts SET LOGGED")
            conn.exec_driver_sql("ALTER TABLE stg_golden_publish SET LOGGED")
        ensure_schema(engine)
        with engine.connect() as conn:
            kinds = dict(conn.execute(sa.text(persistence), {"n": names}).all())
        assert kinds["stg_golden_contacts"] == "u" and kinds["stg_golden_publish"] == "u"

        with engine.begin() as conn:  # and it still stages and publishes
            stage(conn, "t1", _resolution("t1"))
            publish(conn, "t1")
            assert _count(conn, gt.golden_contacts, "t1") == len(_resolution("t1").golden_contacts)
    finally:
        engine.dispose()


def test_a_published_staging_is_cleared_and_publishing_it_again_changes_nothing(engine):
    """After its publish the tenant's staged rows go (the next staging need not delete them), other
    tenants' stagings stay; publishing the cleared staging again (a retried step) keeps the
    published tables as they are instead of emptying them."""
    from crm_pipelines.warehouse.staging import clear_published, stg_golden_publish

    a, b = _resolution("tenant-a"), _resolution("tenant-b")
    with engine.begin() as conn:
        stage(conn, "tenant-a", a)
        stage(conn, "tenant-b", b)
        assert clear_published(conn, "tenant-a") is False  # not published yet: nothing is removed
        assert _count(conn, STAGING["xref"], "tenant-a") == 40
        first = publish(conn, "tenant-a")
    with engine.begin() as conn:
        assert clear_published(conn, "tenant-a") is True
    with engine.connect() as conn:
        assert {name: _count(conn, table, "tenant-a") for name, table in STAGING.items()} == dict.fromkeys(STAGING, 0)
        assert _count(conn, STAGING["xref"], "tenant-b") == 40  # another tenant's staging is untouched
        assert conn.execute(sa.select(stg_golden_publish.c.cleared_at).where(
            stg_golden_publish.c.tenant_id == "tenant-a")).scalar_one()
    with engine.begin() as conn:
        again = publish(conn, "tenant-a")
    assert again == first and first["golden_contacts"] == 30 and first["link_history"] == 40
    with engine.begin() as conn:  # tenant-b alone in staging now: removed in one step, same outcome
        publish(conn, "tenant-b")
        clear_published(conn, "tenant-b")
        assert sum(_count(conn, table, "tenant-b") for table in STAGING.values()) == 0
        stage(conn, "tenant-a", _resolution("tenant-a"))  # a new staging publishes as before
        assert publish(conn, "tenant-a")["link_history"] == 80
    with engine.connect() as conn:
        assert _count(conn, gt.golden_contacts, "tenant-b") == 30 and _count(conn, gt.golden_contact_xref, "tenant-a") == 40


def test_postgresql_statistics_are_refreshed_after_a_full_publish_not_after_a_delta(pg_database):
    """Clearing a published full staging analyzes the published tables (a delete-by-key on a table
    without statistics ran for minutes at 1M rows); a delta changes a few rows, which the statistics
    of the full publish still describe, so its clearing does not analyze again."""
    import dataclasses

    from crm_pipelines.core.canonical import normalize_drafts
    from crm_pipelines.core.config import MatchConfig
    from crm_pipelines.core.golden.resolve import resolve_tenant
    from crm_pipelines.core.synth import generate
    from crm_pipelines.warehouse.engine import ensure_schema, make_engine
    from crm_pipelines.warehouse.staging import clear_published

    from ..core.conftest import LATER, NOW

    def estimated(conn) -> float:  # what ANALYZE last counted (-1: never analyzed)
        return conn.execute(sa.text("select reltuples from pg_class where relname = 'golden_contact_xref'")).scalar_one()

    engine = make_engine(pg_database)
    try:
        ensure_schema(engine)
        drafts = [d for batch, _ in generate(300, seed=5) for d in batch]
        first = resolve_tenant(normalize_drafts(drafts).contacts, None, None, MatchConfig(), NOW)
        tenant = first.xref.tenant_id.iloc[0]
        with engine.begin() as conn:
            stage(conn, tenant, first)
            publish(conn, tenant)
        with engine.connect() as conn:
            assert estimated(conn) == -1
        with engine.begin() as conn:
            clear_published(conn, tenant)
        with engine.connect() as conn:
            assert estimated(conn) == len(first.xref)

        added = drafts + [dataclasses.replace(drafts[k], source="weclapp", source_id=f"copy{k}") for k in range(5)]
        inc = resolve_tenant(normalize_drafts(added).contacts, first.state(), None, MatchConfig(), LATER)
        assert inc.stats["mode"] == "incremental"
        with engine.begin() as conn:
            stage(conn, tenant, inc)
            publish(conn, tenant)
        with engine.begin() as conn:
            clear_published(conn, tenant)
        with engine.connect() as conn:
            assert _count(conn, gt.golden_contact_xref, tenant) == len(first.xref) + 5
            assert estimated(conn) == len(first.xref)  # not analyzed again
    finally:
        engine.dispose()


def test_large_columns_are_laid_out_by_how_distinct_they_are():
    """A large, nearly distinct text column is made again value by value (no count of its distinct
    values); a repeating one shares one object per value; a non-text column is left as it is."""
    from crm_pipelines.warehouse.frames import _shared

    n = 20_000
    distinct = ["".join(["mail", str(k), "@example.de"]) if k % 10 else None for k in range(n)]
    repeating = ["".join(["city", str(k % 50)]) for k in range(n)]
    numbers = list(range(n))
    out = _shared(distinct)
    assert out == distinct and all(a is not b for a, b in zip(out, distinct) if a is not None)
    out = _shared(repeating)
    assert out == repeating and len({id(v) for v in out}) == 50
    assert _shared(numbers) is numbers


@pytest.mark.postgres
def test_postgresql_clears_a_staging_alone_in_its_tables_at_once_and_never_waits(pg_database):
    """On PostgreSQL a tenant alone in the staging tables has them truncated after its publish (a
    row-by-row delete leaves dead rows that slow the next staging and publish). While another
    transaction uses a staging table, the clear does not wait for it: it deletes the tenant's rows."""
    from crm_pipelines.warehouse.engine import ensure_schema, make_engine
    from crm_pipelines.warehouse.staging import clear_published

    engine = make_engine(pg_database)
    size = "select pg_relation_size('stg_golden_contacts')"
    try:
        ensure_schema(engine)
        for tenant, busy in (("t1", False), ("t2", True)):
            with engine.begin() as conn:
                stage(conn, tenant, _resolution(tenant))
                publish(conn, tenant)
            with engine.connect() as conn:
                assert conn.exec_driver_sql(size).scalar_one() > 0
            reader = engine.connect()
            try:
                if busy:  # e.g. a check reading the staged rows, in an open transaction
                    reader.exec_driver_sql("select count(*) from stg_match_pairs").scalar_one()
                with engine.begin() as conn:
                    conn.exec_driver_sql("SET LOCAL lock_timeout = '5s'")  # waiting would fail the test
                    assert clear_published(conn, tenant) is True
            finally:
                reader.close()
            with engine.connect() as conn:
                assert _count(conn, STAGING["golden_contacts"], tenant) == 0
                assert _count(conn, gt.golden_contacts, tenant) == len(_resolution(tenant).golden_contacts)
                assert (conn.exec_driver_sql(size).scalar_one() == 0) is not busy  # truncated, or deleted
    finally:
        engine.dispose()
