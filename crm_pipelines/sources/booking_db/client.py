"""Read-only SQL connector for the booking app's database (SQLAlchemy; no HTTP).

A booking platform hosts many client companies in one database; a tenant reads only the rows of
its own companies (``company_ids``): every query is filtered by ``company_id``. The connection
is opened read-only where the database supports it (PostgreSQL: ``default_transaction_read_only``;
SQLite: ``mode=ro`` URI plus ``PRAGMA query_only``) and nothing is ever committed. The URL may
hold a password: it comes from an environment variable and appears only redacted in messages.
Connection failures and timeouts are retried with backoff (tenacity), then become ``SourceError``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import time
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.pool import NullPool
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from crm_pipelines.settings import redact_url
from crm_pipelines.sources._http import SourceError
from crm_pipelines.sources.base import ConnectContext, FetchResult, SourceOptions
from crm_pipelines.sources.booking_db.mapping import KEYS

_NOT_TRANSIENT = re.compile(r"no such (table|column)|syntax error|readonly database|read-only", re.I)


class BookingTables(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    companies: str = Field("companies", description="table of client companies (may be 'schema.table')")
    services: str = Field("services", description="table of bookable services")
    mappings: str = Field("mappings", description="the service -> Cal.com event type mapping table")


class BookingDbOptions(SourceOptions):
    company_ids: list[int] = Field(..., min_length=1, description="this tenant's companies in the booking DB")
    tables: BookingTables = Field(default_factory=BookingTables)
    connect_timeout_seconds: float = Field(10.0, gt=0)
    statement_timeout_seconds: float = Field(60.0, gt=0, description="PostgreSQL statement_timeout")
    max_attempts: int = Field(4, ge=1, description="attempts for connection errors and timeouts")
    base_delay_seconds: float = Field(0.5, ge=0)


def read_only_engine(url: str, connect_timeout: float = 10.0, statement_timeout: float = 60.0) -> sa.Engine:
    """An engine whose connections cannot write, where the database lets us say so."""
    parsed = sa.engine.make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            parsed = parsed.set(database=f"file:{database}", query={**parsed.query, "mode": "ro", "uri": "true"})
        engine = sa.create_engine(parsed, poolclass=NullPool, connect_args={"timeout": connect_timeout})

        @sa.event.listens_for(engine, "connect")
        def _query_only(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA query_only = ON")

        return engine
    if backend == "postgresql":  # libpq options (psycopg2, psycopg)
        options = (f"-c default_transaction_read_only=on -c TimeZone=UTC "
                   f"-c statement_timeout={int(statement_timeout * 1000)}")
        return sa.create_engine(parsed, poolclass=NullPool, connect_args={
            "connect_timeout": max(1, math.ceil(connect_timeout)), "options": options})
    engine = sa.create_engine(parsed, poolclass=NullPool)
    if backend in ("mysql", "mariadb"):
        @sa.event.listens_for(engine, "connect")
        def _read_only(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET SESSION TRANSACTION READ ONLY")
    return engine


def json_value(value: Any) -> Any:
    """DB values as JSON-safe Python: timestamps as ISO 8601 (aware ones in UTC), decimals as str."""
    if isinstance(value, dt.datetime):
        return (value.astimezone(dt.timezone.utc) if value.tzinfo else value).isoformat()
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:?\d\d|Z)?", value):
        return json_value(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))  # SQLite keeps text
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return value


def _table(name: str) -> sa.TableClause:
    schema, _, table = name.rpartition(".")
    return sa.table(table, sa.column("company_id"), schema=schema or None)


class BookingDbConnector:
    """Fetches ``companies``, ``services`` and ``mappings`` of the tenant's companies (full reads)."""

    def __init__(self, ctx: ConnectContext):
        self.tenant_id = ctx.tenant_id
        self.options: BookingDbOptions = ctx.options
        url = ctx.credentials["database_url"]
        self._password = sa.engine.make_url(url).password if "://" in url else None
        self.display_url = redact_url(url)
        self._sleep = ctx.sleep or time.sleep
        self.queries = 0
        try:
            self.engine = read_only_engine(url, self.options.connect_timeout_seconds,
                                           self.options.statement_timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - a bad URL or missing driver: say so, without the URL
            raise SourceError("booking_db", self.tenant_id, "connect", None,
                              f"cannot use database URL {self.display_url}: {self._clean(exc)}") from None

    def close(self) -> None:
        self.engine.dispose()

    def fetch(self, object_name: str, cursor: dict | None) -> FetchResult:
        if object_name not in KEYS:
            raise KeyError(f"booking_db has no object {object_name!r}")
        table_name = getattr(self.options.tables, object_name)
        table = _table(table_name)
        query = (sa.select(sa.text("*")).select_from(table)
                 .where(table.c.company_id.in_(sorted(set(self.options.company_ids))))
                 .order_by(sa.text(KEYS[object_name])))
        endpoint = f"SELECT {table_name}"
        retrying = Retrying(stop=stop_after_attempt(self.options.max_attempts),
                            wait=wait_exponential_jitter(multiplier=self.options.base_delay_seconds, max=30,
                                                 jitter=self.options.base_delay_seconds),
                            retry=retry_if_exception(_transient), sleep=self._sleep, reraise=True)
        try:
            rows = retrying(self._select, query)
        except sa.exc.SQLAlchemyError as exc:
            raise SourceError("booking_db", self.tenant_id, endpoint, None,
                              f"{self._clean(exc)} (database {self.display_url})") from None
        records = [{k: json_value(v) for k, v in row.items()} for row in rows]
        missing = [c for c in (KEYS[object_name], "company_id") if records and c not in records[0]]
        if missing:
            raise SourceError("booking_db", self.tenant_id, endpoint, None,
                              f"table {table_name} has no column(s) {missing} (database {self.display_url})")
        return FetchResult(records=records, complete=True, requests=self.queries)

    def _select(self, query: sa.Select) -> list[dict]:
        self.queries += 1
        with self.engine.connect() as conn:  # the implicit transaction is rolled back on close
            return [dict(row) for row in conn.execute(query).mappings()]

    def _clean(self, exc: BaseException) -> str:
        """One line about what went wrong: the driver's message, never the SQL parameters or password."""
        original = getattr(exc, "orig", None) or exc
        text = " ".join(str(original).split())[:300] or type(original).__name__
        if self._password:
            text = text.replace(self._password, "***")
        return f"{type(original).__name__}: {text}"


def _transient(exc: BaseException) -> bool:
    """Connection problems and timeouts are worth another attempt; a missing table is not."""
    if isinstance(exc, (sa.exc.TimeoutError, sa.exc.DisconnectionError)):
        return True
    return isinstance(exc, sa.exc.OperationalError) and not _NOT_TRANSIENT.search(str(exc.orig or exc))
