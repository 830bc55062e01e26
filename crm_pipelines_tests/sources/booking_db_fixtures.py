"""Booking database fixtures: the demo booking DB built on SQLite or PostgreSQL, and a connector."""

from __future__ import annotations

import pytest

from crm_pipelines.demo.world import demo_worlds
from crm_pipelines.sources.base import ConnectContext
from crm_pipelines.sources.booking_db.client import BookingDbConnector, BookingDbOptions
from crm_pipelines.sources.booking_db.emulator import BookingDemoDatabase, build_booking_database


@pytest.fixture
def booking_url(warehouse_url: str) -> str:
    """A fresh database URL, once SQLite and once PostgreSQL (conftest's ``warehouse_url``)."""
    return warehouse_url


@pytest.fixture
def booking_db(booking_url: str) -> BookingDemoDatabase:
    return build_booking_database(booking_url, demo_worlds())


def connect(url: str, company_ids: list[int], tenant: str = "t1", sleeps: list | None = None,
            **options) -> BookingDbConnector:
    return BookingDbConnector(ConnectContext(
        tenant_id=tenant, base_url="", credentials={"database_url": url},
        options=BookingDbOptions(company_ids=company_ids, **options),
        sleep=lambda s: sleeps.append(s) if sleeps is not None else None))
