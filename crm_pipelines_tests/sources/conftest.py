"""Fixtures shared by the source tests: the booking app's demo database (SQLite and PostgreSQL)."""

from crm_pipelines_tests.sources.booking_db_fixtures import booking_db, booking_url  # noqa: F401 - fixtures
