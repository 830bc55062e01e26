"""Warehouse tests get a schema-ready engine, once on SQLite and once on PostgreSQL."""

from __future__ import annotations

import pytest

from crm_pipelines.warehouse.engine import ensure_schema, make_engine


@pytest.fixture
def engine(warehouse_url):
    engine = make_engine(warehouse_url)
    ensure_schema(engine)
    yield engine
    engine.dispose()
