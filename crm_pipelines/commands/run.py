"""``crm-pipelines run``: materialize the whole asset graph once per tenant, through Dagster.

It executes the ``full_pipeline`` job of the same definitions and instance the UI uses, so its
runs, materializations and check results show up in the UI.
"""

from __future__ import annotations

import argparse
import sys
import time


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run", help="materialize every asset once per tenant and print a summary",
                            description=__doc__)
    parser.add_argument("--tenant", action="append", metavar="ID",
                        help="limit the run to this tenant (repeatable); default: every configured tenant")
    parser.add_argument("--strict", action="store_true",
                        help="also exit non-zero when a blocking (ERROR) asset check fails")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from crm_pipelines.commands._env import prepare_environment

    home = prepare_environment()
    import dagster as dg

    from crm_pipelines import settings
    from crm_pipelines.commands.summary import print_summary
    from crm_pipelines.defs.build import build_definitions
    from crm_pipelines.defs.constants import FULL_PIPELINE_JOB, TAG_TENANT

    defs = build_definitions()
    job = defs.resolve_job_def(FULL_PIPELINE_JOB)
    tenants = list(job.partitions_def.get_partition_keys())
    selected = args.tenant or tenants
    unknown = sorted(set(selected) - set(tenants))
    if unknown:
        print(f"unknown tenant(s): {', '.join(unknown)}; configured: {', '.join(tenants)}", file=sys.stderr)
        return 2
    failed_steps, failed_blocking, evaluations, broken = [], [], [], False
    with dg.DagsterInstance.get() as instance:
        for tenant in selected:
            started = time.monotonic()
            result = job.execute_in_process(partition_key=tenant, instance=instance, raise_on_error=False,
                                            tags={TAG_TENANT: tenant})
            for event in result.all_events:
                if event.is_step_failure:
                    error = event.event_specific_data.error
                    causes = [error, *(_chain(error))]
                    check_failure = any(c.cls_name == "DagsterAssetCheckFailedError" for c in causes)
                    broken = broken or not check_failure
                    failed_steps.append(f"{tenant}: {event.step_key}: {causes[-1].message.strip()[:300]}")
            for evaluation in result.get_asset_check_evaluations():
                evaluations.append((tenant, evaluation))
                if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
                    failed_blocking.append(tenant)
            print(f"run {result.run_id} for tenant {tenant}: {'succeeded' if result.success else 'had failures'} "
                  f"in {time.monotonic() - started:.1f}s")
    print_summary(selected, evaluations, failed_steps, settings.warehouse_url(), home)
    if broken:  # an asset failed (not just a data-quality finding)
        return 1
    return 1 if (args.strict and failed_blocking) else 0


def _chain(error):
    """The causes of a serialized error, outermost first."""
    while error is not None and (error.cause or error.context):
        error = error.cause or error.context
        yield error
