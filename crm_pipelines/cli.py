"""The command line: ``crm-pipelines <command>`` (also ``python -m crm_pipelines``).

Every subcommand lives in ``crm_pipelines/commands/`` and registers itself with ``register``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = ("run", "emulate", "dev", "checks", "dedupe", "benchmark", "purge_runs")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crm-pipelines",
        description="crm_pipelines: one golden contact table per tenant out of HERO, monday.com, "
                    "Microsoft 365, Lexware Office, weclapp, Cal.com and the booking app, orchestrated "
                    "by Dagster. Environment: DAGSTER_HOME, CRM_WAREHOUSE_URL, CRM_TENANTS_FILE, CRM_DATA_DIR.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"crm_pipelines.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
