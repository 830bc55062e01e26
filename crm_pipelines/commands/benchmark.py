"""``crm-pipelines benchmark``: synthetic German contacts with known duplicates → the matcher →
quality (pairwise P/R/F1, B-cubed, exact clusters), time and RSS per stage, golden-id stability."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import psutil
import sqlalchemy as sa

from crm_pipelines.core.canonical import normalize_drafts
from crm_pipelines.core.config import MatchConfig
from crm_pipelines.core.golden.resolve import resolve_tenant
from crm_pipelines.core.metrics import evaluate
from crm_pipelines.core.synth import generate


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def publish_sqlite(res, path: str) -> None:
    """Write the golden tables to a SQLite file (the 'publish' stage)."""
    from crm_pipelines.warehouse import golden_tables as gt

    engine = sa.create_engine(f"sqlite:///{path}")
    tables = [gt.golden_contacts, gt.golden_contact_xref, gt.golden_aliases, gt.golden_link_history, gt.match_pairs, gt.match_review_queue]
    gt.metadata.create_all(engine, tables=tables)
    frames = [res.golden_contacts, res.xref, res.aliases, res.link_history, res.pairs, res.review_queue]
    with engine.begin() as conn:
        for table, frame in zip(tables, frames):
            if len(frame):
                frame = frame.astype(object).where(frame.notna(), None)
                conn.exec_driver_sql(
                    f"INSERT INTO {table.name} ({', '.join(frame.columns)}) VALUES ({', '.join('?' * len(frame.columns))})",
                    list(frame.itertuples(index=False, name=None)))
    engine.dispose()


def run(n_contacts: int, seed: int = 7, config: MatchConfig | None = None, log=None) -> dict:
    config = config or MatchConfig()
    out: dict = {"contacts": n_contacts, "seed": seed, "stages": {}}
    stage = out["stages"]

    def mark(name: str, seconds: float) -> None:
        stage[name] = {"seconds": round(seconds, 3), "rss_mb": round(_rss_mb(), 1)}
        if log:
            log(f"{name:10s} {seconds:8.2f}s  rss {stage[name]['rss_mb']:.0f} MB")

    t0 = time.perf_counter()
    chunks = list(generate(n_contacts, seed))
    mark("generate", time.perf_counter() - t0)
    truth = np.concatenate([t for _, t in chunks])
    t0 = time.perf_counter()
    frames = []
    for drafts, _ in chunks:
        frames.append(normalize_drafts(drafts).contacts)
    contacts = pd.concat(frames, ignore_index=True)
    del chunks, frames
    norm_s = time.perf_counter() - t0
    mark("normalize", norm_s)
    out["rows"] = len(contacts)
    out["normalize_records_per_s"] = round(len(contacts) / norm_s, 1) if norm_s else None
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    t_match = time.perf_counter()
    res = resolve_tenant(contacts, None, None, config, now)
    for k in ("block", "score", "cluster", "survive", "explain"):
        stage[k] = {"seconds": round(res.timings.get(k, 0.0), 3)}
    stage["survive"]["rss_mb"] = round(_rss_mb(), 1)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        publish_sqlite(res, os.path.join(tmp, "golden.sqlite"))
        mark("publish", time.perf_counter() - t0)
    out["match_to_publish_seconds"] = round(time.perf_counter() - t_match, 3)
    key = res.xref.set_index(contacts.loc[~contacts["is_deleted"], "source_id"].to_numpy()) if False else None
    pred = res.xref["golden_id"].to_numpy()
    out.update({k: (round(v, 6) if isinstance(v, float) else v) for k, v in evaluate(pred, truth).items()})
    out["candidate_pairs"] = res.stats["candidate_pairs"]
    out["pairs_per_record"] = round(res.stats["pairs_per_record"], 3)
    out["golden_contacts"] = len(res.golden_contacts)
    out["review_pairs"] = len(res.review_queue)
    out["peak_rss_mb"] = round(_peak_mb(), 1)
    t0 = time.perf_counter()
    rerun = resolve_tenant(contacts, res.state(), None, config, now)
    out["rerun_seconds"] = round(time.perf_counter() - t0, 3)
    out["golden_id_stability"] = float((rerun.xref["golden_id"].to_numpy() == pred).mean()) if len(pred) else 1.0
    out["total_seconds"] = round(sum(s["seconds"] for s in stage.values()), 3)
    return out


def _main(args: argparse.Namespace) -> int:
    log = None if args.json else (lambda msg: print(msg, file=sys.stderr))
    result = run(args.contacts, args.seed, log=log)
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            if k != "stages":
                print(f"{k:28s} {v}")
        for name, s in result["stages"].items():
            print(f"  stage {name:10s} {s['seconds']:8.2f}s  rss {s.get('rss_mb', '')}")
    return 0


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("benchmark", help="measure match quality, speed and memory on synthetic German contacts")
    p.add_argument("--contacts", type=int, default=10_000, help="number of base contacts (rows ≈ 1.85 × N)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_main)
    return p
