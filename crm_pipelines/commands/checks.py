"""``crm-pipelines checks``: the latest evaluation of every asset check, per tenant, from the Dagster
instance the runs wrote to (the same results the UI shows). ``--json`` prints a list of objects
(check, asset, tenant, passed, severity, blocking, run_id, timestamp, metadata). Exits 1 when a
blocking check's latest evaluation failed with ERROR, 0 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("checks", help="print the latest result of every asset check per tenant",
                            description=__doc__)
    parser.add_argument("--tenant", action="append", metavar="ID", help="only this tenant (repeatable)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=main)


def _metadata_value(value: Any) -> Any:
    raw = getattr(value, "value", value)
    if isinstance(raw, (str, int, float, bool)) or raw is None:
        return raw
    if isinstance(raw, (dict, list)):
        return raw
    return str(raw)


def latest_results(instance, defs, tenants: list[str] | None = None) -> list[dict[str, Any]]:
    """One row per (check, tenant partition) that has an evaluation, newest evaluation only."""
    graph = defs.resolve_asset_graph()
    out = []
    for key in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        spec = graph.get_check_spec(key)
        seen: set[str | None] = set()
        for record in instance.event_log_storage.get_asset_check_execution_history(key, limit=200):
            evaluation = record.evaluation
            if evaluation is None or record.partition in seen:
                continue
            seen.add(record.partition)
            tenant = record.partition or _metadata_value(evaluation.metadata.get("tenant"))
            if tenants and tenant not in tenants:
                continue
            out.append({"check": key.name, "asset": key.asset_key.to_user_string(), "tenant": tenant,
                        "passed": evaluation.passed, "severity": evaluation.severity.value,
                        "blocking": bool(spec.blocking), "description": evaluation.description,
                        "run_id": record.run_id,
                        "timestamp": dt.datetime.fromtimestamp(record.create_timestamp, dt.timezone.utc).isoformat(),
                        "metadata": {k: _metadata_value(v) for k, v in evaluation.metadata.items()}})
    return sorted(out, key=lambda r: (str(r["tenant"]), r["asset"], r["check"]))


def blocking_failures(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in results if r["blocking"] and not r["passed"] and r["severity"] == "ERROR"]


def _print_table(results: list[dict[str, Any]]) -> None:
    if not results:
        print("no asset check has been evaluated yet: run `crm-pipelines run` first")
        return
    tenant = None
    for r in results:
        if r["tenant"] != tenant:
            tenant = r["tenant"]
            print(f"\n{tenant}")
        state = "PASS" if r["passed"] else f"FAIL {r['severity']}" + (" (blocking)" if r["blocking"] else "")
        detail = r["metadata"].get("what_to_look_at") or r.get("description") or ""
        print(f"  {state:<22} {r['asset']}:{r['check']}" + (f"  — {detail}" if detail and not r["passed"] else ""))


def main(args: argparse.Namespace) -> int:
    from crm_pipelines.commands._env import prepare_environment

    prepare_environment()
    import warnings

    import dagster as dg

    from crm_pipelines.defs.build import build_definitions

    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    defs = build_definitions()
    with dg.DagsterInstance.get() as instance:
        results = latest_results(instance, defs, args.tenant)
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    else:
        _print_table(results)
    failed = blocking_failures(results)
    if failed and not args.json:
        print(f"\n{len(failed)} blocking check(s) failed", file=sys.stderr)
    return 1 if failed else 0
