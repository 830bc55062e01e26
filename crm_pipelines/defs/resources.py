"""Resources: the warehouse (SQLAlchemy engine per step) and the sources (config + connectors)."""

from __future__ import annotations

import threading
from typing import Any

import dagster as dg
import sqlalchemy as sa
from pydantic import PrivateAttr

from crm_pipelines import settings
from crm_pipelines.config.tenants import EMULATOR_SCHEME, ResolvedSource, Tenants, load_tenants, resolve_source
from crm_pipelines.sources.base import ConnectContext, Connector
from crm_pipelines.sources.registry import get_source
from crm_pipelines.warehouse.engine import ensure_schema, make_engine


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse database. ``url`` is a SQLAlchemy URL (SQLite by default, PostgreSQL in production)."""

    url: str

    _engine: sa.Engine | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._engine = make_engine(self.url)
        ensure_schema(self._engine)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._engine is not None:
            self._engine.dispose()

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:  # used outside a run (sensors, CLI)
            self._engine = make_engine(self.url)
            ensure_schema(self._engine)
        return self._engine

    @property
    def display_url(self) -> str:
        return settings.redact_url(self.url)


_EMULATORS: dict[tuple[str, str], Any] = {}
_EMULATORS_LOCK = threading.Lock()


def in_process_emulator(source: str) -> Any:
    """The in-process emulator for ``emulator://<source>`` URLs (one per process and data folder,
    built on first use: the booking demo database lives in the data folder)."""
    key = (source, str(settings.data_dir()))
    with _EMULATORS_LOCK:
        if key not in _EMULATORS:
            _EMULATORS[key] = get_source(source).emulator()
        return _EMULATORS[key]


class SourcesResource(dg.ConfigurableResource):
    """The tenants file and, through it, a connector for every (tenant, source)."""

    tenants_file: str

    def tenants(self) -> Tenants:
        return load_tenants(self.tenants_file)

    def resolve(self, tenant_id: str, source: str) -> ResolvedSource | None:
        """None when the tenant does not use this source at all."""
        tenant = self.tenants().get(tenant_id)
        if source not in tenant.sources:
            return None
        return resolve_source(tenant, source)

    def connect(self, resolved: ResolvedSource) -> Connector:
        definition = get_source(resolved.name)
        base_url, transport = resolved.config.base_url, None
        extra = dict(resolved.config.urls)
        if base_url.startswith(EMULATOR_SCHEME):
            emulator = in_process_emulator(resolved.name)
            transport = emulator.transport() if hasattr(emulator, "transport") else None
            host = f"http://{resolved.name}.emulator"
            base_url = host + base_url[len(EMULATOR_SCHEME + resolved.name):]  # keep a path such as /v2
            extra = {k: v.replace(EMULATOR_SCHEME + resolved.name, host) for k, v in extra.items()}
        context = ConnectContext(tenant_id=resolved.tenant_id, base_url=base_url,
                                 credentials=dict(resolved.credentials or {}), options=resolved.options,
                                 transport=transport, extra_urls=extra)
        return definition.connect(context)
