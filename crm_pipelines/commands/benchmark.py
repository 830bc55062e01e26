"""``crm-pipelines benchmark``: synthetic German contacts with known duplicates → the matcher →
quality (pairwise P/R/F1, B-cubed, exact clusters), wall and CPU time and peak RSS per stage
(normalize, block, score, cluster, survive, explain, publish), candidate pairs per record,
golden-id stability across a rerun, and the cost of an incremental run with 1% changed records."""

from __future__ import annotations

import argparse
import ctypes
import gc
import multiprocessing as mp
import json
import os
import pickle
import resource
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import psutil

from crm_pipelines.core.canonical import normalize_drafts
from crm_pipelines.core.config import MatchConfig
from crm_pipelines.core.golden.ids import GoldenState
from crm_pipelines.core.golden.order import in_key_order
from crm_pipelines.core.golden.resolve import resolve_tenant
from crm_pipelines.core.metrics import evaluate
from crm_pipelines.core.synth import generate
from crm_pipelines.warehouse.engine import ensure_schema, make_engine
from crm_pipelines.warehouse.staging import Staging

MATCH_STAGES = ("block", "score", "cluster", "survive", "explain")
INCREMENTAL_RUNS = 3


class RssSampler:
    """Peak memory per named stage: this process's RSS plus its children's PSS (the normalize pool,
    the SQLite bulk writer). A child's RSS would count again the pages it shares with this process,
    e.g. the Arrow and Python libraries both map (the bulk writer: 143 MB RSS, 105 MB PSS); its PSS
    counts its share of them, and this process's RSS counts them whole, so the sum stays an upper
    bound of the memory in use."""

    def __init__(self, interval: float = 0.02):
        self.proc, self.interval, self.stage, self.peaks = psutil.Process(), interval, "setup", {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss_mb(self) -> float:
        total = self.proc.memory_info().rss
        for child in self.proc.children(recursive=True):
            try:
                total += getattr(child.memory_full_info(), "pss", None) or child.memory_info().rss
            except psutil.Error:
                pass
        return total / 2**20

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        try:
            value = self.rss_mb()
        except psutil.Error:
            return
        self.peaks[self.stage] = max(self.peaks.get(self.stage, 0.0), value)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @contextmanager
    def at(self, stage: str):
        self.sample()
        previous, self.stage = self.stage, stage
        try:
            yield
        finally:
            self.sample()
            self.stage = previous  # what follows is not this stage's


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _peak_mb() -> float:
    """Peak RSS of this process image: VmHWM (reset by exec, so a spawned child reports its own peak;
    ru_maxrss would carry the parent's over), else ru_maxrss."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def fresh_warehouse(server_url: str | None):
    """A URL of an empty warehouse, removed afterwards: a SQLite file in a temporary directory (the
    embedded default), or, given a PostgreSQL URL, a database with a unique name on that server
    (created through the URL's own database, dropped at the end)."""
    if not server_url:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{os.path.join(tmp, 'warehouse.sqlite')}"
        return
    import uuid

    import sqlalchemy as sa

    url = sa.engine.make_url(server_url)
    if url.get_backend_name() != "postgresql":
        raise SystemExit("--publish-url takes a PostgreSQL server URL (the default is an embedded SQLite file)")
    name = f"crm_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def stage_resolution(res, engine, staging=None) -> float:
    """The pipeline's own staging (the engine's settings): ``staging.finish`` when the resolve already
    handed it its early tables, else ``stage_tables`` (the resolution → ``stg_*`` tables, one
    transaction; the bulk writer on SQLite). Returns its seconds."""
    from crm_pipelines.warehouse.staging import stage_tables

    t0 = time.perf_counter()
    if staging is not None:
        staging.finish(res)
    else:
        stage_tables(engine, str(res.xref["tenant_id"].iloc[0]) if len(res.xref) else "", res)
    return time.perf_counter() - t0


def publish_staged(engine, tenant: str) -> tuple[dict[str, float], dict[str, int]]:
    """``publish`` (staged → published golden tables, one transaction), then ``clear_published``
    (the published staging removed), as ``publish_golden`` does. Returns seconds per step and the
    published row counts."""
    from crm_pipelines.warehouse.staging import clear_published, publish_committed

    t0 = time.perf_counter()
    counts = publish_committed(engine, tenant)
    t1 = time.perf_counter()
    with engine.begin() as conn:  # as publish_golden does after the commit
        clear_published(conn, tenant)
    return {"swap": t1 - t0, "clear": time.perf_counter() - t1}, counts


def save_state(res, path: str) -> None:
    """The step boundary: what ``golden_resolution`` hands to ``golden_contacts``. In the pipeline
    they are two steps, each in its own process, so the publish runs without the resolution in
    memory; here the state the reruns start from goes to ``path`` (as the pipeline's matcher cache
    goes to a file; ``load_state`` reads it back) and the caller frees the resolution before the
    publish. Published while the process still held the 3 GB of a 1M-record resolution, the swap's
    writes cost the kernel 6.1-7.0 instead of 1.6-2.8 s of system time on the benchmark host (13-16
    instead of 7.6-10 s of swap and commit); not SQLite's work, which took 5.1-7.5 s of user time
    either way (benchmarks/RESULTS.md, twelfth round). Untimed: the pipeline's own step boundary is
    not part of the figure either."""
    with open(path, "wb") as f:
        # what ``Resolution.state`` builds the next run's state from (a GoldenState holds a closure)
        pickle.dump((res.xref, res.aliases, type(res).golden_contacts.raw(res), res.cache), f,
                    protocol=pickle.HIGHEST_PROTOCOL)


def _kept_figures(res) -> dict:
    return {"pred": res.xref["golden_id"].to_numpy(), "candidate_pairs": res.stats["candidate_pairs"],
            "pairs_per_record": round(res.stats["pairs_per_record"], 3), "golden_contacts": len(res.golden_contacts),
            "review_pairs": len(res.review_queue),
            "resolve_seconds": round(sum(res.timings.get(k, 0.0) for k in MATCH_STAGES), 3)}


def _incremental_figures(inc, pred: np.ndarray, truth: np.ndarray) -> dict:
    out: dict = {"incremental_golden_contacts": len(inc.golden_contacts), "incremental_mode": inc.stats.get("mode", "full")}
    kept = inc.xref["golden_id"].to_numpy() == pred
    out["incremental_ids_kept"] = float(kept.mean()) if len(pred) else 1.0
    out["incremental_affected_records"] = inc.stats.get("affected_records")
    # what the delta publish wrote: only the re-resolved rows that differ from the published ones
    out["incremental_delta_rows"] = {k[len("delta_"):]: inc.stats[k] for k in sorted(inc.stats) if k.startswith("delta_")}
    q = evaluate(inc.xref["golden_id"].to_numpy(), truth)  # same people; only addresses moved
    out["incremental_precision"], out["incremental_f1"] = round(q["precision"], 6), round(q["f1"], 6)
    return out


def _release_memory() -> None:
    """The freed resolution's memory back to the system, as when its step process ends (glibc keeps
    freed heap otherwise, and it would count in the publish's RSS)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def load_state(path: str) -> GoldenState:
    with open(path, "rb") as f:
        xref, aliases, golden_contacts, cache = pickle.load(f)
    return GoldenState.from_tables(xref, aliases, golden_contacts, cache=cache)


def change_fraction(contacts: pd.DataFrame, fraction: float, seed: int) -> tuple[pd.DataFrame, int]:
    """A copy where ``fraction`` of the records changed (city/street moved, a new e-mail added);
    the content hash changes with them, as it would after a source update."""
    rng = np.random.default_rng(seed)
    changed = contacts.copy()
    rows = rng.choice(len(changed), max(1, int(len(changed) * fraction)), replace=False)
    rows.sort()
    idx = changed.index[rows]
    changed.loc[idx, "city"] = "Neustadt"
    changed.loc[idx, "city_key"] = "neustadt"
    changed.loc[idx, "street"] = None
    changed.loc[idx, "street_key"] = ""
    changed.loc[idx, "house_number"] = None
    changed.loc[idx, "content_hash"] = [f"changed{k:010d}" for k in range(len(idx))]
    return changed, len(idx)


def _mark(stage: dict, name: str, seconds: float, cpu: float | None, peak: float, verbose: bool) -> None:
    stage[name] = {"seconds": round(seconds, 3), "peak_rss_mb": round(peak, 1)}
    if cpu is not None:
        stage[name]["cpu_seconds"] = round(cpu, 3)
    if verbose:
        print(f"{name:10s} {seconds:8.2f}s  cpu {cpu if cpu is not None else float('nan'):7.2f}s  peak rss {peak:.0f} MB",
              file=sys.stderr)


def match_phase(contacts_path: str, truth_path: str, config: MatchConfig, seed: int, rerun: bool, incremental: bool,
                verbose: bool = False, publish_url: str | None = None) -> dict:
    """Normalized input (a pickled canonical frame) → resolve → published warehouse (a fresh SQLite file,
    or a fresh PostgreSQL database given ``publish_url``), then the rerun and the
    1%-changed incremental run. Runs in a fresh process so its peak RSS is that of this path alone."""
    out: dict = {"stages": {}}
    stage = out["stages"]
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    with RssSampler() as sampler, ExitStack() as stack:
        with sampler.at("load"):
            contacts, truth = pd.read_pickle(contacts_path), np.load(truth_path)
        url = stack.enter_context(fresh_warehouse(publish_url))  # kept for the incremental delta publish
        engine = make_engine(url)
        stack.callback(engine.dispose)
        ensure_schema(engine)  # as in a running pipeline: the tables exist
        tenant = str(contacts["tenant_id"].iloc[0]) if len(contacts) else ""
        t_match, c_match = time.perf_counter(), _cpu()
        with sampler.at("match"):
            # as build_golden: the tables but the golden rows are staged while survivorship runs
            staging = stack.enter_context(Staging(engine, tenant))
            contacts = in_key_order(contacts)  # as build_golden: one vectorized check, the rows are in key order
            res = resolve_tenant(contacts, None, None, config, now, on_links=staging.early)
        for k in MATCH_STAGES:
            _mark(stage, k, res.timings.get(k, 0.0), res.timings.get(k + "_cpu", 0.0), sampler.peaks.get("match", 0.0), verbose)
        del contacts  # as build_golden: the staging needs only the resolution (reloaded below for the reruns)
        with sampler.at("stage"):
            c0 = _cpu()
            stage_s = stage_resolution(res, engine, staging)
            stage_cpu = _cpu() - c0
        resolved_peak = _peak_mb()  # before the step boundary below (not part of the pipeline's path)
        paused = time.perf_counter()
        state_path = os.path.join(stack.enter_context(tempfile.TemporaryDirectory()), "state.pkl")
        kept = _kept_figures(res)
        save_state(res, state_path)
        del res, staging
        _release_memory()
        paused = time.perf_counter() - paused
        with sampler.at("publish"):
            t0, c0 = time.perf_counter(), _cpu()
            steps, published = publish_staged(engine, tenant)
            publish_s, publish_cpu = time.perf_counter() - t0, _cpu() - c0
        out["publish_backend"] = "postgresql" if publish_url else "sqlite"
        out["published_rows"] = published
        out["publish_steps_seconds"] = {"stage": round(stage_s, 3), **{k: round(v, 3) for k, v in steps.items()}}
        _mark(stage, "publish", stage_s + publish_s, stage_cpu + publish_cpu,
              max(sampler.peaks.get("stage", 0.0), sampler.peaks.get("publish", 0.0)), verbose)
        out["match_to_publish_seconds"] = round(time.perf_counter() - t_match - paused, 3)
        out["match_to_publish_cpu_seconds"] = round(_cpu() - c_match, 3)
        out["step_boundary_seconds"] = round(paused, 3)  # untimed: the resolution's state written, then freed
        # the peak of the timed path: this process's RSS plus its children's (the SQLite bulk writer)
        out["match_to_publish_peak_rss_mb"] = round(max(resolved_peak, *(sampler.peaks.get(k, 0.0) for k in (
            "match", "stage", "publish"))), 1)
        out["peak_rss_mb_steps"] = {k: round(sampler.peaks.get(k, 0.0), 1) for k in ("match", "stage", "publish")}
        pred = kept.pop("pred")
        out.update({k: (round(v, 6) if isinstance(v, float) else v) for k, v in evaluate(pred, truth).items()})
        out.update(kept)
        resolve_s = out["resolve_seconds"]
        if rerun or incremental:
            contacts = pd.read_pickle(contacts_path)
            state = load_state(state_path)
        if rerun:
            with sampler.at("rerun"):
                t0 = time.perf_counter()
                again = resolve_tenant(contacts, state, None, config, now)
                out["rerun_seconds"] = round(time.perf_counter() - t0, 3)
            out["rerun_mode"] = again.stats.get("mode", "full")
            out["golden_id_stability"] = float((again.xref["golden_id"].to_numpy() == pred).mean()) if len(pred) else 1.0
            del again
        if incremental:
            changed, n_changed = change_fraction(contacts, 0.01, seed)
            runs = []
            with sampler.at("incremental"):
                for _ in range(INCREMENTAL_RUNS):  # a short run on a noisy host: the median of a few
                    inc = None  # the previous run's result is freed first
                    t0 = time.perf_counter()
                    inc = resolve_tenant(changed, state, None, config, now)
                    runs.append(time.perf_counter() - t0)
            inc_s = float(np.median(runs))
            out["incremental_changed_records"] = n_changed
            out["incremental_seconds"] = round(inc_s, 3)
            out["incremental_seconds_runs"] = [round(x, 3) for x in runs]
            out["incremental_cost_ratio"] = round(inc_s / resolve_s, 3) if resolve_s else None
            # the same span as match_to_publish_seconds: the delta staged and published over the full publish
            inc_stage_s = stage_resolution(inc, engine)
            out.update(_incremental_figures(inc, pred, truth))
            del inc, state, contacts, changed  # the step boundary, as for the full publish
            _release_memory()
            inc_steps, inc_published = publish_staged(engine, tenant)
            inc_publish_s = inc_stage_s + sum(inc_steps.values())
            out["incremental_published_rows"] = inc_published
            out["incremental_publish_seconds"] = round(inc_publish_s, 3)
            out["incremental_to_publish_seconds"] = round(inc_s + inc_publish_s, 3)
            out["incremental_to_publish_ratio"] = round((inc_s + inc_publish_s) / out["match_to_publish_seconds"], 3)
        out["match_process_peak_rss_mb"] = round(_peak_mb(), 1)
    return out


# a run's figures listed per repeat (``runs``): its timings; the quality figures are the same in every run
RUN_FIGURES = ("match_to_publish_seconds", "resolve_seconds", "publish_steps_seconds", "match_to_publish_peak_rss_mb",
               "incremental_seconds", "incremental_seconds_runs", "incremental_cost_ratio", "incremental_to_publish_ratio")


def median_run(runs: list[dict]) -> dict:
    """The run with the median ``match_to_publish_seconds`` (of an even number, the lower of the two
    middle ones): its figures all come from one run."""
    return sorted(runs, key=lambda r: r["match_to_publish_seconds"])[(len(runs) - 1) // 2]


def run(n_contacts: int, seed: int = 7, config: MatchConfig | None = None, log=None,
        incremental: bool = True, rerun: bool = True, publish_url: str | None = None, repeat: int = 1) -> dict:
    """The benchmark (see the module). ``repeat``: the path from normalized input to published (and
    the reruns) runs that many times, each in a fresh process, on the same generated and normalized
    records; the figures are those of the median run (``median_run``), each run's timings are listed
    in ``runs``, and the peak memory is the highest of all runs."""
    if repeat < 1:
        raise ValueError("repeat must be at least 1")
    config = config or MatchConfig()
    out: dict = {"contacts": n_contacts, "seed": seed, "cpu_count": os.cpu_count(), "stages": {}}
    stage = out["stages"]
    with RssSampler() as sampler:
        with sampler.at("generate"):
            t0, c0 = time.perf_counter(), _cpu()
            chunks = list(generate(n_contacts, seed))
            truth = np.concatenate([t for _, t in chunks])
            drafts = [d for batch, _ in chunks for d in batch]
            del chunks
        _mark(stage, "generate", time.perf_counter() - t0, _cpu() - c0, sampler.peaks.get("generate", 0.0), bool(log))
        with sampler.at("normalize"):
            t0, c0 = time.perf_counter(), _cpu()
            contacts = normalize_drafts(drafts).contacts
            norm_s, norm_cpu = time.perf_counter() - t0, _cpu() - c0
            del drafts
        _mark(stage, "normalize", norm_s, norm_cpu, sampler.peaks.get("normalize", 0.0), bool(log))
    out["rows"] = len(contacts)
    out["normalize_records_per_s"] = round(len(contacts) / norm_s, 1) if norm_s else None
    out["normalize_records_per_cpu_s"] = round(len(contacts) / norm_cpu, 1) if norm_cpu else None
    out["generate_normalize_peak_rss_mb"] = round(_peak_mb(), 1)
    # the matcher's input as the pipeline reads it from the warehouse: in key order (SQLite returns
    # its primary key's order; build_golden puts any other order into it)
    by_key = np.lexsort((contacts["source_id"].astype(str).to_numpy(dtype=object),
                         contacts["source"].astype(str).to_numpy(dtype=object)))
    contacts, truth = contacts.iloc[by_key].reset_index(drop=True), truth[by_key]
    with tempfile.TemporaryDirectory() as tmp:
        cpath, tpath = os.path.join(tmp, "contacts.pkl"), os.path.join(tmp, "truth.npy")
        contacts.to_pickle(cpath)
        np.save(tpath, truth)
        del contacts
        # what normalization left in this process's heap goes back to the system first: in the
        # pipeline, normalizing and resolving are steps of their own, and the resolve ran 4-5 s slower
        # (999k) beside this process still holding the gigabytes of the normalization
        _release_memory()
        runs = []
        for _ in range(repeat):  # a fresh process each: its peak memory is that of its own run
            with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
                runs.append(pool.submit(match_phase, cpath, tpath, config, seed, rerun, incremental, bool(log),
                                        publish_url).result())
    matched = dict(median_run(runs))
    stage.update(matched.pop("stages"))
    out.update(matched)
    out["match_to_publish_peak_rss_mb"] = max(r["match_to_publish_peak_rss_mb"] for r in runs)
    if repeat > 1:
        out["repeat"] = repeat
        out["runs"] = [{k: r[k] for k in RUN_FIGURES if k in r} for r in runs]
    out["total_seconds"] = round(norm_s + out["match_to_publish_seconds"], 3)
    out["peak_rss_mb"] = out["match_to_publish_peak_rss_mb"]  # normalized input → published, the target's figure
    return out


def _main(args: argparse.Namespace) -> int:
    log = None if args.json else (lambda msg: print(msg, file=sys.stderr))
    result = run(args.contacts, args.seed, log=log, incremental=not args.no_incremental, rerun=not args.no_rerun,
                 publish_url=args.publish_url, repeat=args.repeat)
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            if k != "stages":
                print(f"{k:30s} {v}")
        for name, s in result["stages"].items():
            print(f"  stage {name:10s} {s['seconds']:8.2f}s  cpu {s.get('cpu_seconds', '')}s  peak rss {s.get('peak_rss_mb', '')} MB")
    return 0


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("benchmark", help="measure match quality, speed and memory on synthetic German contacts",
                              description=__doc__)
    p.add_argument("--contacts", type=int, default=10_000, help="number of base contacts (rows ≈ 1.85 × N)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--no-rerun", action="store_true", help="skip the golden-id stability rerun")
    p.add_argument("--no-incremental", action="store_true", help="skip the 1%%-changed incremental run")
    p.add_argument("--repeat", type=_at_least_one, default=1,
                   help="run the path from normalized input to published this many times on the same records "
                        "(each in a fresh process) and report the median run, with every run's timings under 'runs'")
    p.add_argument("--publish-url", default=os.environ.get("CRM_BENCHMARK_PUBLISH_URL"),
                   help="publish into a fresh database on this PostgreSQL server (SQLAlchemy URL; created and "
                        "dropped by the benchmark) instead of an embedded SQLite file")
    p.set_defaults(func=_main)
    return p
