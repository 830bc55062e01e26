"""``crm-pipelines purge-runs``: delete finished runs (and their event logs) older than N days.

Dagster's ``retention`` setting purges schedule and sensor ticks only; the event log of runs grows
without bound. Run this from cron (or a scheduled job) to keep the instance small. Runs that are
still queued or in progress are never touched. ``--dry-run`` only counts.
"""

from __future__ import annotations

import argparse
import datetime as dt

FINISHED = ("SUCCESS", "FAILURE", "CANCELED")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("purge-runs", help="delete finished runs and their event logs older than N days",
                            description=__doc__)
    parser.add_argument("--older-than-days", type=float, required=True, metavar="N")
    parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from crm_pipelines.commands._env import prepare_environment

    prepare_environment()
    import dagster as dg

    cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=args.older_than_days)
    statuses = [dg.DagsterRunStatus[s] for s in FINISHED]
    deleted = 0
    with dg.DagsterInstance.get() as instance:
        while True:
            records = instance.get_run_records(dg.RunsFilter(statuses=statuses, created_before=cutoff), limit=500)
            if not records:
                break
            for record in records:
                if not args.dry_run:
                    instance.delete_run(record.dagster_run.run_id)
                deleted += 1
            if args.dry_run:
                break
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb} {deleted} finished run(s) created before {cutoff.isoformat(timespec='seconds')}")
    return 0
