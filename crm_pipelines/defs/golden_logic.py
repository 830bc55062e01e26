"""The golden pipeline's warehouse steps, per tenant (no Dagster here; ``golden.py`` wires them).

- ``build_canonical``: raw contact payloads of every source -> ContactDrafts -> canonical rows,
  incrementally (records whose content hash is unchanged are not normalized again).
- ``build_golden``: canonical rows + previous xref/aliases + steward overrides -> golden records,
  published atomically (all golden tables of the tenant in one transaction).
- ``build_activity``: vouchers and tasks linked to golden contacts through the xref.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from crm_pipelines.core.canonical import CANONICAL_COLUMNS, content_hash, normalize_drafts
from crm_pipelines.core.config import MatchConfig
from crm_pipelines.core.golden.ids import GoldenState
from crm_pipelines.core.golden.order import in_key_order
from crm_pipelines.core.golden.incremental import CACHE_VERSION, config_key
from crm_pipelines.defs import canonical_snapshot, golden_cache
from crm_pipelines.core.golden.resolve import GOLDEN_COLUMNS, Resolution, resolve_tenant
from crm_pipelines.core.golden.summary import PREVIEW_COLUMNS, PREVIEW_ROWS, WEAKEST_COLUMNS, WEAKEST_ROWS, summary
from crm_pipelines.sources.registry import SOURCES
from crm_pipelines.warehouse import golden_tables as gt
from crm_pipelines.warehouse.frames import (delete_keys, insert_frame, insert_records, read_tenant_frame,
                                            replace_tenant_frame, to_records)
from crm_pipelines.warehouse.staging import Staging, clear_published, publish_committed, record_summary
from crm_pipelines.warehouse.tables import raw_table

CONTACT_SOURCES = [(s.name, spec) for s in SOURCES.values() for spec in s.objects if spec.is_contact]


@dataclass
class CanonicalStats:
    drafts: int = 0
    normalized: int = 0
    unchanged: int = 0
    removed: int = 0
    rejected: int = 0
    per_source: dict[str, int] = field(default_factory=dict)


def _drafts(conn: sa.Connection, tenant_id: str, rejects: list[dict]) -> list:
    drafts = []
    for source, spec in CONTACT_SOURCES:
        table = raw_table(source, spec.name)
        for source_id, payload, deleted in conn.execute(sa.select(
                table.c.source_id, table.c.payload, table.c.is_deleted).where(table.c.tenant_id == tenant_id)):
            try:
                for draft in spec.to_drafts(tenant_id, json.loads(payload)):
                    draft.is_deleted = draft.is_deleted or bool(deleted)
                    drafts.append(draft)
            except Exception as exc:  # noqa: BLE001 - quarantined with its reason, never fatal
                rejects.append({"tenant_id": tenant_id, "source": source, "source_id": source_id,
                                "reason": f"mapping failed: {type(exc).__name__}: {exc}"[:500],
                                "payload": payload[:10_000]})
    return drafts


def build_canonical(engine: sa.Engine, tenant_id: str) -> CanonicalStats:
    table = gt.canonical_contacts
    mapping_rejects: list[dict] = []
    with engine.connect() as conn:
        drafts = _drafts(conn, tenant_id, mapping_rejects)
        previous = read_tenant_frame(conn, table, tenant_id, ["source", "source_id", "content_hash"])
    prev_hashes = {(s, i): h for s, i, h in previous.itertuples(index=False, name=None)}
    result = normalize_drafts(drafts, prev_hashes)
    current = {(d.source, str(d.source_id)) for d in drafts}
    gone = [key for key in prev_hashes if key not in current]
    changed = list(zip(result.contacts["source"], result.contacts["source_id"]))
    # Records rejected now must leave the canonical table too (they may have been valid before).
    rejected_keys = list(zip(result.rejects["source"], result.rejects["source_id"]))
    rejects = to_records(result.rejects, gt.contact_rejects) + mapping_rejects
    stats = CanonicalStats(drafts=len(drafts), normalized=len(result.contacts), unchanged=result.skipped_unchanged,
                           removed=len(gone), rejected=len(rejects))
    with engine.begin() as conn:
        delete_keys(conn, table, tenant_id, ["source", "source_id"], changed + gone + rejected_keys)
        insert_frame(conn, table, result.contacts)
        # rejects of unchanged records stay; rejects of re-read records are replaced
        delete_keys(conn, gt.contact_rejects, tenant_id, ["source", "source_id"],
                    [(d.source, str(d.source_id)) for d in drafts if prev_hashes.get(
                        (d.source, str(d.source_id))) != content_hash(d)] + gone)
        insert_records(conn, gt.contact_rejects, rejects)
        for source, _spec in CONTACT_SOURCES:
            stats.per_source[source] = conn.execute(sa.select(sa.func.count()).select_from(table).where(
                table.c.tenant_id == tenant_id, table.c.source == source, table.c.is_deleted.is_(False))).scalar_one()
    return stats


def _empty_resolution() -> Resolution:
    def empty(table: sa.Table) -> pd.DataFrame:
        return pd.DataFrame(columns=[c.name for c in table.c if c.name != "id"])

    return Resolution(golden_contacts=pd.DataFrame(columns=GOLDEN_COLUMNS), xref=empty(gt.golden_contact_xref),
                      aliases=empty(gt.golden_aliases), link_history=empty(gt.golden_link_history),
                      pairs=empty(gt.match_pairs), review_queue=empty(gt.match_review_queue),
                      patterns=empty(gt.match_patterns))


def build_golden(engine: sa.Engine, tenant_id: str, matching: dict | None = None,
                 now: dt.datetime | None = None):
    """Resolve one tenant and write the result to the staging tables (one transaction).

    Nothing is visible to readers of the golden tables until ``publish_golden`` runs, after the
    blocking checks on the staged data passed."""
    now = now or dt.datetime.now(dt.timezone.utc)
    config = MatchConfig.from_dict(matching)
    with engine.connect() as conn:
        published_xref = read_tenant_frame(conn, gt.golden_contact_xref, tenant_id)
        cache = golden_cache.load(tenant_id, published_xref)
        # a full resolve compares the same values many times: shared strings make it 1.5x faster, but
        # sharing costs a third of the read, which an incremental run of a few records does not repay
        # (asked only when the rows are read in full, not when they come from the snapshot)
        narrow = read_tenant_frame(conn, gt.canonical_contacts, tenant_id, canonical_snapshot.NARROW)
        # rows unchanged since the last run come from its snapshot; only the others are read in full
        contacts, read_info = canonical_snapshot.read_canonical(
            conn, gt.canonical_contacts, tenant_id, CANONICAL_COLUMNS, narrow, config.incremental_max_changed,
            share_values=lambda: not _few_changes(narrow["content_hash"], cache, config), order=in_key_order)
        # a cache that matches the published xref was published with these golden rows: no re-read
        published_golden = getattr(cache, "golden_contacts", None)
        if published_golden is None:
            published_golden = read_tenant_frame(conn, gt.golden_contacts, tenant_id)
        previous = GoldenState.from_tables(
            published_xref, read_tenant_frame(conn, gt.golden_aliases, tenant_id), published_golden, cache=cache)
        overrides = read_tenant_frame(conn, gt.match_overrides, tenant_id)
    if contacts.empty:
        contacts = pd.DataFrame(columns=CANONICAL_COLUMNS)
    contacts = in_key_order(contacts)
    contacts["is_deleted"] = contacts["is_deleted"].fillna(False).astype(bool)
    # a full resolve hands its tables but the golden rows to the staging before survivorship: a large
    # staging writes them meanwhile, on the other core (1M records: 5-6 s of a 10-12 s staging are
    # left after the resolve, which takes 2-3 s longer)
    with Staging(engine, tenant_id) as staging:
        if (~contacts["is_deleted"]).any():
            resolution = resolve_tenant(contacts, previous, overrides, config, now, on_links=staging.early)
        else:  # nothing live to resolve (e.g. every source unconfigured): publish empty golden tables
            resolution = _empty_resolution()
        # the resolution holds what the staging needs: the canonical rows go first (380 MB at 1M records)
        del contacts, previous
        staging.finish(resolution)
    golden_cache.stage(tenant_id, resolution.xref, getattr(resolution, "cache", None))
    try:  # what the UI shows of these tables once published, taken from memory
        shown = summary(resolution)
    except (KeyError, ValueError, TypeError):  # a table without a column it reads: the asset queries the tables
        shown = None
    if shown is not None:
        with engine.begin() as conn:
            record_summary(conn, tenant_id, staging.batch, shown)
    resolution.stats.update({f"canonical_{k}": v for k, v in read_info.items()})
    return resolution


def _few_changes(hashes: pd.Series, cache, config: MatchConfig) -> bool:
    """Whether the resolve will likely be incremental: a cache of this configuration and few
    records whose content hash (``hashes``) it has not seen. The resolve decides exactly; this only
    picks how the rows are read."""
    cached = getattr(cache, "hashes", None)
    if (cached is None or not len(hashes) or getattr(cache, "version", None) != CACHE_VERSION
            or cache.config != config_key(config)):
        return False
    unseen = int((~hashes.isin(pd.Index(cached))).sum())
    return unseen + max(0, len(cached) - len(hashes)) <= config.incremental_max_changed * max(len(hashes), len(cached))


def queried_summary(conn: sa.Connection, tenant_id: str) -> dict:
    """``core.golden.summary`` of the tenant's published tables, read from them (a staging without a
    stored summary: staged by an earlier version). Ties among the weakest merges come in the
    database's order."""
    def rows(sql: str) -> list[dict]:
        return [dict(r._mapping) for r in conn.execute(sa.text(sql), {"t": tenant_id})]

    def counts(sql: str) -> dict:
        return {k: int(v) for k, v in conn.execute(sa.text(sql), {"t": tenant_id})}

    return {
        "largest": rows(f"select {', '.join(PREVIEW_COLUMNS)} from golden_contacts where tenant_id = :t "
                        f"order by member_count desc, golden_id limit {PREVIEW_ROWS}"),
        "link_methods": counts("select link_method, count(*) from golden_contact_xref where tenant_id = :t "
                               "group by link_method"),
        "decisions": counts("select decision, count(*) from match_pairs where tenant_id = :t group by decision"),
        "weakest_merges": rows(f"select {', '.join('p.' + c for c in WEAKEST_COLUMNS[:-1])}, e.explanation "
                               "from match_pairs p join match_patterns e on e.tenant_id = p.tenant_id and "
                               "e.pattern_id = p.pattern_id where p.tenant_id = :t and p.decision = 'auto_merge' "
                               f"order by p.match_probability limit {WEAKEST_ROWS}")}


def publish_golden(engine: sa.Engine, tenant_id: str) -> dict[str, int]:
    """Staged golden tables of the tenant become the published ones, atomically (``publish_committed``)."""
    counts = publish_committed(engine, tenant_id)
    golden_cache.promote(tenant_id)
    with engine.begin() as conn:  # after the commit: the published staging is not needed any more
        clear_published(conn, tenant_id)
    return counts


STATUS_COLUMNS = ("voucher_status", "task_status", "status")
OPEN_STATUSES = {"open", "overdue", "draft", "not_started", "in_progress", "waiting_on_others", "deferred"}
ACTIVITY_OBJECTS = [(s.name, spec) for s in SOURCES.values() for spec in s.objects if spec.contact_ref]


def build_activity(engine: sa.Engine, tenant_id: str) -> pd.DataFrame:
    """Vouchers, tasks, ... per golden contact, through the xref; replaced atomically per tenant."""
    from crm_pipelines.warehouse.tables import golden_contact_activity

    frames = []
    with engine.connect() as conn:
        xref = read_tenant_frame(conn, gt.golden_contact_xref, tenant_id, ["source", "source_id", "golden_id"])
        for source, spec in ACTIVITY_OBJECTS:
            table = raw_table(source, spec.name)
            columns = [c for c in ("source_id", spec.contact_ref, "open_amount", "total_amount", *STATUS_COLUMNS)
                       if c in table.c]
            items = read_tenant_frame(conn, table, tenant_id, columns, where=table.c.is_deleted.is_(False))
            if items.empty:
                continue
            linked = items.merge(xref[xref["source"] == source], left_on=spec.contact_ref, right_on="source_id",
                                 how="inner", suffixes=("", "_contact"))
            status = next((linked[c] for c in STATUS_COLUMNS if c in linked), None)
            is_open = status.astype(str).str.lower().isin(OPEN_STATUSES) if status is not None else False
            if "open_amount" in linked:
                is_open = is_open | (linked["open_amount"].fillna(0) > 0)
            linked = linked.assign(is_open=is_open)
            agg = linked.groupby("golden_id").agg(
                items=("source_id", "size"), open_items=("is_open", "sum"),
                total_amount=("total_amount", "sum") if "total_amount" in linked else ("source_id", lambda s: None),
                open_amount=("open_amount", "sum") if "open_amount" in linked else ("source_id", lambda s: None))
            frames.append(agg.reset_index().assign(tenant_id=tenant_id, source=source, object=spec.name))
    activity = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["tenant_id", "golden_id", "source", "object", "items", "open_items", "total_amount", "open_amount"])
    with engine.begin() as conn:
        replace_tenant_frame(conn, golden_contact_activity, tenant_id, activity)
    return activity
