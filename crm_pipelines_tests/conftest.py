"""Shared fixtures: isolated data dirs, and PostgreSQL databases with unique names.

PostgreSQL tests skip when the server is unreachable on a developer machine, but with ``CI=true``
an unreachable server fails the suite: CI must prove the production path.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from crm_pipelines.warehouse.engine import ensure_schema, make_engine

PG_ADMIN_URL = os.environ.get("CRM_TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path, monkeypatch) -> None:
    """No test touches the developer's data folder, Dagster home or tenants file."""
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    monkeypatch.delenv("CRM_WAREHOUSE_URL", raising=False)
    monkeypatch.delenv("CRM_TENANTS_FILE", raising=False)


def _pg_reachable() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def pg_server() -> str:
    problem = _pg_reachable()
    if problem:
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {problem}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: PostgreSQL is required)", pytrace=False)
        pytest.skip(message)
    return PG_ADMIN_URL


@pytest.fixture
def pg_database(pg_server: str) -> Iterator[str]:
    """A fresh PostgreSQL database with a unique name, dropped afterwards. Yields its URL."""
    name = f"crm_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(pg_server).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_url(request, tmp_path) -> str:
    """Run a test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    return request.getfixturevalue("pg_database")


@pytest.fixture
def engine(warehouse_url):
    """A schema-ready warehouse engine, once on SQLite and once on PostgreSQL."""
    engine = make_engine(warehouse_url)
    ensure_schema(engine)
    yield engine
    engine.dispose()
