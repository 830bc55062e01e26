"""``crm-pipelines dev``: start the Dagster UI (``dagster dev`` on workspace.yaml) on the embedded default."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("dev", help="start the Dagster UI on the same instance and warehouse as `run`",
                            description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="3000")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from crm_pipelines import settings
    from crm_pipelines.commands._env import prepare_environment

    prepare_environment()
    dagster = Path(sys.executable).with_name("dagster")
    workspace = settings.PROJECT_ROOT / "workspace.yaml"
    os.chdir(settings.PROJECT_ROOT)
    os.execv(str(dagster), [str(dagster), "dev", "-w", str(workspace), "-h", args.host, "-p", str(args.port)])
    return 0  # pragma: no cover
