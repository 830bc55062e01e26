"""The tenants configuration: one validated YAML file listing tenants and, per tenant, its sources.

Secrets are never in the file: a source names the environment variables that hold them. A bad
file stops with one message naming the file, the tenant and the field. A source whose secrets are
not set is *unconfigured*: it is skipped and reported, and the rest of the tenant still runs.
A source whose URL is ``emulator://<source>`` talks to the in-process emulator, which accepts
well-known demo keys when the variables are unset (so the demo needs no set-up).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from crm_pipelines import settings
from crm_pipelines.sources.registry import SOURCE_NAMES, get_source

TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,62}$")
EMULATOR_SCHEME = "emulator://"


class ConfigError(ValueError):
    """The tenants file is invalid; the message names file, tenant and field."""


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(description="API base URL, a SQLAlchemy URL env var for booking_db, or emulator://<source>")
    credentials: dict[str, str] = Field(default_factory=dict,
                                        description="secret name -> environment variable holding it")
    urls: dict[str, str] = Field(default_factory=dict, description="further endpoints, e.g. ms365 token_url")
    options: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True

    @field_validator("credentials")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for key, env in value.items():
            if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", env):
                raise ValueError(f"credentials.{key} must name an environment variable (UPPER_CASE), "
                                 "never hold the secret itself")
        return value

    @property
    def emulated(self) -> bool:
        return self.base_url.startswith(EMULATOR_SCHEME)


class TenantConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    matching: dict[str, Any] = Field(default_factory=dict, description="overrides of the match config")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not TENANT_ID.match(value):
            raise ValueError("must be 2-63 lower-case letters, digits, '-' or '_'")
        return value

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, value: dict[str, SourceConfig]) -> dict[str, SourceConfig]:
        unknown = sorted(set(value) - set(SOURCE_NAMES))
        if unknown:
            raise ValueError(f"unknown source(s) {unknown}; known: {', '.join(SOURCE_NAMES)}")
        return value


class TenantsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tenants: list[TenantConfig]


@dataclass(frozen=True)
class Tenants:
    path: Path
    tenants: tuple[TenantConfig, ...]

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.tenants]

    def get(self, tenant_id: str) -> TenantConfig:
        for tenant in self.tenants:
            if tenant.id == tenant_id:
                return tenant
        raise KeyError(f"unknown tenant {tenant_id!r}; configured: {', '.join(self.ids)}")


def _where(path: Path, data: Any, loc: tuple) -> str:
    tenant = ""
    if len(loc) >= 2 and loc[0] == "tenants" and isinstance(loc[1], int):
        try:
            tenant = f", tenant {data['tenants'][loc[1]].get('id', '#' + str(loc[1] + 1))!r}"
        except (KeyError, IndexError, TypeError, AttributeError):
            tenant = f", tenant #{loc[1] + 1}"
        loc = loc[2:]
    return f"{path}{tenant}, field {'.'.join(str(p) for p in loc) or '(top level)'}"


def load_tenants(path: Path | str | None = None) -> Tenants:
    path = Path(path) if path else settings.tenants_file()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: tenants file not found (set CRM_TENANTS_FILE)") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    try:
        parsed = TenantsFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"{_where(path, data, tuple(first['loc']))}: {first['msg']}") from None
    seen: set[str] = set()
    for index, tenant in enumerate(parsed.tenants):
        if tenant.id in seen:
            raise ConfigError(f"{path}, tenant {tenant.id!r}, field tenants.{index}.id: duplicate tenant id")
        seen.add(tenant.id)
        for name, source in tenant.sources.items():
            definition = get_source(name)
            try:
                definition.options_model.model_validate(source.options)
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(p) for p in first["loc"])
                raise ConfigError(f"{path}, tenant {tenant.id!r}, field sources.{name}.options.{field}: "
                                  f"{first['msg']}") from None
            missing = sorted(set(definition.credential_fields) - set(source.credentials))
            if missing:
                raise ConfigError(f"{path}, tenant {tenant.id!r}, field sources.{name}.credentials: "
                                  f"missing {missing}")
    if not parsed.tenants:
        raise ConfigError(f"{path}, field tenants: at least one tenant is required")
    return Tenants(path, tuple(parsed.tenants))


@dataclass(frozen=True)
class ResolvedSource:
    """A source ready to connect, or the reason it is not (``unconfigured``)."""

    tenant_id: str
    name: str
    config: SourceConfig
    options: Any
    credentials: Mapping[str, str] | None  # None = unconfigured
    unconfigured_reason: str | None = None

    @property
    def configured(self) -> bool:
        return self.credentials is not None


def resolve_source(tenant: TenantConfig, name: str, environ: Mapping[str, str] | None = None) -> ResolvedSource:
    environ = os.environ if environ is None else environ
    source = tenant.sources[name]
    definition = get_source(name)
    options = definition.options_model.model_validate(source.options)
    if not source.enabled:
        return ResolvedSource(tenant.id, name, source, options, None, "disabled in the tenants file")
    credentials: dict[str, str] = {}
    missing = []
    for key, env in source.credentials.items():
        if environ.get(env):
            credentials[key] = environ[env]
        else:
            missing.append(env)
    if missing and source.emulated:
        demo = definition.demo_credentials(tenant.id)
        credentials.update({k: demo[k] for k, env in source.credentials.items() if env in missing})
        missing = []
    if missing:
        return ResolvedSource(tenant.id, name, source, options, None,
                              f"environment variable(s) not set: {', '.join(missing)}")
    return ResolvedSource(tenant.id, name, source, options, credentials)
