"""Load one fetch of one source object for one tenant, atomically.

In a single transaction: diff the fetched records against what the warehouse holds (by content
hash), insert new rows, replace changed ones, mark deletions, record per-record errors, advance
the cursor and write the ``sync_runs`` row. If anything fails, nothing of it is visible: the
previous rows and the previous cursor stay as they were. Unchanged records are not touched, so a
rerun with nothing changed upstream inserts and updates nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from crm_pipelines.warehouse.tables import ingest_errors, raw_table, sync_cursors, sync_runs

BATCH = 5_000


def content_hash(record: dict) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False,
                                     default=str).encode()).hexdigest()[:32]


@dataclass
class LoadStats:
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("fetched", "inserted", "updated", "unchanged", "deleted", "errors")}


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    tenant_id: str
    source: str
    object: str
    started_at: dt.datetime


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def read_cursor(engine: sa.Engine, tenant_id: str, source: str, object_name: str) -> dict | None:
    with engine.connect() as conn:
        value = conn.execute(sa.select(sync_cursors.c.cursor).where(
            sync_cursors.c.tenant_id == tenant_id, sync_cursors.c.source == source,
            sync_cursors.c.object == object_name)).scalar()
    return json.loads(value) if value else None


def _rows(records: Iterable[dict], to_row: Callable[[dict], dict], run: RunInfo, now: dt.datetime,
          stats: LoadStats, errors: list[dict]) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    for record in records:
        try:
            row = to_row(record)
            source_id = str(row.pop("source_id"))
            if not source_id:
                raise ValueError("record has no id")
        except Exception as exc:  # noqa: BLE001 - a bad record is quarantined, never fatal
            stats.errors += 1
            errors.append({"source_id": str(record.get("id")) if isinstance(record, dict) else None,
                           "reason": f"{type(exc).__name__}: {exc}",
                           "payload": json.dumps(record, default=str)[:10_000]})
            continue
        tombstone = bool(row.pop("is_deleted", False))  # a source's own soft delete (HERO is_deleted)
        row = {k: json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, (list, dict)) else v
               for k, v in row.items()}  # "json" columns are stored as text
        rows[source_id] = {**row, "tenant_id": run.tenant_id, "source_id": source_id,
                           "content_hash": content_hash(record), "is_deleted": tombstone,
                           "deleted_at": now if tombstone else None,
                           "payload": json.dumps(record, ensure_ascii=False, default=str),
                           "first_seen_at": now, "updated_at": now, "run_id": run.run_id}
    return rows


def apply_fetch(engine: sa.Engine, run: RunInfo, *, records: list[dict], complete: bool,
                deleted_ids: Iterable[str], to_row: Callable[[dict], dict], cursor: dict | None,
                requests: int = 0, fetch_errors: Iterable[str] = (),
                present_ids: Iterable[str] | None = None) -> LoadStats:
    """``present_ids``: every id that exists upstream; live rows not in it are deletions."""
    table = raw_table(run.source, run.object)
    now = utcnow()
    stats = LoadStats(fetched=len(records))
    errors: list[dict] = [{"source_id": None, "reason": reason, "payload": None} for reason in fetch_errors]
    stats.errors += len(errors)
    rows = _rows(records, to_row, run, now, stats, errors)
    tombstones = {str(i) for i in deleted_ids} - set(rows)
    present = None if present_ids is None else {str(i) for i in present_ids}
    with engine.begin() as conn:
        existing = {r.source_id: r for r in conn.execute(
            sa.select(table.c.source_id, table.c.content_hash, table.c.is_deleted, table.c.first_seen_at)
            .where(table.c.tenant_id == run.tenant_id))}
        inserts, replaces = [], []
        for source_id, row in rows.items():
            old = existing.get(source_id)
            if old is None:
                inserts.append(row)
            elif old.content_hash != row["content_hash"] or old.is_deleted != row["is_deleted"]:
                replaces.append({**row, "first_seen_at": old.first_seen_at})
                if row["is_deleted"] and not old.is_deleted:
                    stats.deleted += 1  # became a tombstone upstream
            else:
                stats.unchanged += 1
        gone = [sid for sid, old in existing.items() if not old.is_deleted and (
            sid in tombstones or (complete and sid not in rows) or (present is not None and sid not in present))]
        stats.inserted, stats.deleted = len(inserts), stats.deleted + len(gone)
        stats.updated = len(replaces) - sum(1 for r in replaces if r["is_deleted"] and not existing[r["source_id"]].is_deleted)
        _delete_ids(conn, table, run.tenant_id, [r["source_id"] for r in replaces])
        for chunk in _chunks(inserts + replaces):
            conn.execute(table.insert(), chunk)
        for chunk in _chunks(gone):
            conn.execute(table.update().where(table.c.tenant_id == run.tenant_id, table.c.source_id.in_(chunk))
                         .values(is_deleted=True, deleted_at=now, updated_at=now, run_id=run.run_id))
        if errors:
            conn.execute(ingest_errors.insert(), [
                {**e, "tenant_id": run.tenant_id, "source": run.source, "object": run.object,
                 "run_id": run.run_id, "created_at": now} for e in errors])
        if cursor is not None:
            _write_cursor(conn, run, cursor, now)
        conn.execute(sync_runs.insert().values(
            run_id=run.run_id, tenant_id=run.tenant_id, source=run.source, object=run.object,
            started_at=run.started_at, finished_at=utcnow(), status="succeeded",
            mode="full" if complete else "incremental", requests=requests,
            duration_s=(utcnow() - run.started_at).total_seconds(), **stats.as_dict()))
    stats.error_samples = [e["reason"] for e in errors[:5]]
    return stats


def record_outcome(engine: sa.Engine, run: RunInfo, status: str, message: str, requests: int = 0) -> None:
    """Log a run that wrote no data (``failed`` or ``unconfigured``) in its own transaction."""
    with engine.begin() as conn:
        conn.execute(sync_runs.insert().values(
            run_id=run.run_id, tenant_id=run.tenant_id, source=run.source, object=run.object,
            started_at=run.started_at, finished_at=utcnow(), status=status, requests=requests,
            duration_s=(utcnow() - run.started_at).total_seconds(), message=message[:2000],
            fetched=0, inserted=0, updated=0, unchanged=0, deleted=0, errors=1 if status == "failed" else 0))


def _write_cursor(conn: sa.Connection, run: RunInfo, cursor: dict, now: dt.datetime) -> None:
    key = (sync_cursors.c.tenant_id == run.tenant_id) & (sync_cursors.c.source == run.source) & (
        sync_cursors.c.object == run.object)
    conn.execute(sync_cursors.delete().where(key))
    conn.execute(sync_cursors.insert().values(tenant_id=run.tenant_id, source=run.source, object=run.object,
                                              cursor=json.dumps(cursor, sort_keys=True), run_id=run.run_id,
                                              updated_at=now))


def _delete_ids(conn: sa.Connection, table: sa.Table, tenant_id: str, ids: list[str]) -> None:
    for chunk in _chunks(ids, 900):
        conn.execute(table.delete().where(table.c.tenant_id == tenant_id, table.c.source_id.in_(chunk)))


def _chunks(items: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
