"""Where things live. Environment variables override the embedded default:

- ``CRM_DATA_DIR``       the project-local data folder (default: ``<repo>/data``)
- ``DAGSTER_HOME``       Dagster's instance (default: ``<data>/dagster_home``, SQLite storage)
- ``CRM_WAREHOUSE_URL``  the warehouse, any SQLAlchemy URL (default: SQLite in the data folder)
- ``CRM_TENANTS_FILE``   the tenants configuration (default: the bundled three-tenant demo)
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
DEMO_TENANTS_FILE = PACKAGE_DIR / "config" / "demo_tenants.yaml"


def data_dir() -> Path:
    return Path(os.environ.get("CRM_DATA_DIR") or PROJECT_ROOT / "data")


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or data_dir() / "dagster_home")


def warehouse_url() -> str:
    return os.environ.get("CRM_WAREHOUSE_URL") or f"sqlite:///{data_dir() / 'warehouse.sqlite'}"


def tenants_file() -> Path:
    return Path(os.environ.get("CRM_TENANTS_FILE") or DEMO_TENANTS_FILE)


def redact_url(url: str) -> str:
    """A database URL without its password, for logs and metadata."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparseable URL is shown as its scheme only
        return url.split(":", 1)[0] + ":***"
