"""Prepare the embedded default before Dagster is imported: DAGSTER_HOME and its dagster.yaml."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from crm_pipelines import settings

EMBEDDED_INSTANCE_YAML = settings.PACKAGE_DIR / "config" / "dagster_embedded.yaml"


def prepare_environment() -> Path:
    """Point DAGSTER_HOME at the project-local default unless it is set; give it a dagster.yaml."""
    home = settings.dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    target = home / "dagster.yaml"
    if not target.exists():
        shutil.copyfile(EMBEDDED_INSTANCE_YAML, target)
    return home
