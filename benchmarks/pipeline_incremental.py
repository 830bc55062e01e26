"""The golden pipeline's own warehouse steps on one large tenant: a full run, then a run where 1% of
the canonical records changed, on the embedded SQLite warehouse or on a fresh PostgreSQL database.
Prints one JSON object.

    .venv/bin/python benchmarks/pipeline_incremental.py --contacts 100000     # 185,140 rows
    ... --publish-url postgresql+psycopg2://postgres@127.0.0.1/postgres   # on a fresh PostgreSQL database

Each run is what the Dagster assets ``golden_resolution`` + ``golden_contacts`` do for a tenant:
``build_golden`` (read the canonical rows, the published tables and the matcher's cache, resolve,
stage, store the UI's summary) and ``publish_golden`` (publish atomically, promote the cache), then
the asset's metadata (the stored summary; ``summary_queried_seconds``: the same asked of the
published tables, as the asset did before, untimed). Seconds per step; the
second run is incremental when the cache of the first matches the published xref, and then stages
and publishes only its delta. Normalization is not part of it (the canonical rows are written
first, directly), nor are the source syncs.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import sqlalchemy as sa


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--contacts", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--changed", type=float, default=0.01, help="share of canonical records changed before run 2")
    ap.add_argument("--publish-url", default=None,
                    help="run on a fresh database on this PostgreSQL server (SQLAlchemy URL; created and dropped "
                         "here) instead of the embedded SQLite file")
    args = ap.parse_args(argv)
    from crm_pipelines.commands.benchmark import fresh_warehouse

    with tempfile.TemporaryDirectory() as tmp, fresh_warehouse(args.publish_url) as url:
        os.environ["CRM_DATA_DIR"] = tmp  # the matcher's cache lives beside the data
        from crm_pipelines.core.canonical import normalize_drafts
        from crm_pipelines.core.synth import generate
        from crm_pipelines.defs.golden_logic import build_golden, publish_golden, queried_summary
        from crm_pipelines.warehouse.staging import published_summary
        from crm_pipelines.warehouse import golden_tables as gt
        from crm_pipelines.warehouse.engine import ensure_schema, make_engine
        from crm_pipelines.warehouse.frames import insert_frame

        contacts = normalize_drafts([d for batch, _ in generate(args.contacts, args.seed) for d in batch]).contacts
        tenant = str(contacts["tenant_id"].iloc[0])
        engine = make_engine(url)
        ensure_schema(engine)
        with engine.begin() as conn:
            insert_frame(conn, gt.canonical_contacts, contacts)
        out: dict = {"rows": len(contacts), "tenant": tenant, "backend": engine.dialect.name}
        keys = contacts[["source", "source_id"]].copy()  # what the changed run picks from; the rows are in the warehouse
        del contacts
        now = datetime(2025, 1, 1, tzinfo=timezone.utc)
        for label in ("full", "changed"):
            if label == "changed":
                rng = np.random.default_rng(args.seed)
                pick = keys.iloc[np.sort(rng.choice(len(keys), max(1, int(len(keys) * args.changed)), replace=False))]
                table = gt.canonical_contacts
                with engine.begin() as conn:  # as a sync + build_canonical would leave them: moved, new hash
                    conn.execute(table.update().where(
                        table.c.tenant_id == sa.bindparam("t"), table.c.source == sa.bindparam("s"),
                        table.c.source_id == sa.bindparam("i")).values(
                        city="Neustadt", city_key="neustadt", street=None, street_key="", house_number=None,
                        content_hash=sa.bindparam("h")), [
                        {"t": tenant, "s": s, "i": i, "h": f"changed{k:010d}"}
                        for k, (s, i) in enumerate(zip(pick["source"], pick["source_id"]))])
                out["changed_records"] = len(pick)
                now += timedelta(days=1)
            t0 = time.perf_counter()
            res = build_golden(engine, tenant, None, now)
            t1 = time.perf_counter()
            # the step boundary: golden_contacts publishes in a step process of its own, without the
            # resolution in memory (untimed, as Dagster's own step start)
            figures = {"mode": res.stats.get("mode"), "build_golden_seconds": round(t1 - t0, 3),
                       "resolve_seconds": round(sum(res.timings.get(k, 0.0) for k in
                                                    ("block", "score", "cluster", "survive", "explain")), 3),
                       "staged_golden_rows": len(res.delta.golden_contacts) if res.delta is not None else len(res.golden_contacts)}
            del res
            gc.collect()
            t1b = time.perf_counter()
            counts = publish_golden(engine, tenant)
            with engine.connect() as conn:  # the asset's metadata: the summary stored with the staging
                shown = published_summary(conn, tenant) or queried_summary(conn, tenant)
            t2 = time.perf_counter()
            with engine.connect() as conn:  # untimed: the same read from the published tables, for reference
                t_q = time.perf_counter()
                queried = queried_summary(conn, tenant)
                queried_s = time.perf_counter() - t_q
            assert shown["largest"] == queried["largest"]
            out[label] = {**figures, "publish_seconds": round(t2 - t1b, 3), "total_seconds": round(t2 - t1b + t1 - t0, 3),
                          "published_golden_rows": counts["golden_contacts"], "published_xref_rows": counts["xref"],
                          "summary_queried_seconds": round(queried_s, 3)}
        engine.dispose()
    out["changed_over_full"] = round(out["changed"]["total_seconds"] / out["full"]["total_seconds"], 3)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
