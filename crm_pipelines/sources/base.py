"""What a source is, as the rest of the project sees it: objects, columns, a connector, an emulator."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from pydantic import BaseModel, ConfigDict

from crm_pipelines.core.draft import ContactDraft

COLUMN_TYPES = ("str", "int", "float", "bool", "datetime", "json")


@dataclass(frozen=True)
class Column:
    """A typed column extracted from the raw record into the raw table (besides the JSON payload)."""

    name: str
    type: str = "str"
    description: str = ""


@dataclass(frozen=True)
class ObjectSpec:
    """One object a source holds (contacts, vouchers, tasks, ...): one raw table, one asset."""

    name: str
    description: str
    columns: tuple[Column, ...]
    to_row: Callable[[dict], dict]  # raw record -> {"source_id": str, <column>: value, ...}
    to_drafts: Callable[[str, dict], list[ContactDraft]] | None = None  # (tenant_id, raw) -> drafts
    incremental: bool = False  # True when the API offers a server-side change cursor
    contact_ref: str | None = None  # column holding the source_id of this record's contact (same source)

    @property
    def is_contact(self) -> bool:
        return self.to_drafts is not None


@dataclass
class FetchResult:
    """What a connector returns for one object.

    ``complete=True``: ``records`` is the whole current set; rows missing from it are deletions.
    ``complete=False``: a delta; only ``records`` changed and ``deleted_ids`` were removed.
    ``present_ids``: when set (an id scan of the whole set, e.g. weclapp ``properties=id``), every
    live row whose id is not in it is a deletion, whatever ``complete`` says.
    ``cursor`` is stored by the warehouse only after the data it covers is committed.
    """

    records: list[dict]
    complete: bool
    deleted_ids: list[str] = field(default_factory=list)
    cursor: dict | None = None
    requests: int = 0
    errors: list[str] = field(default_factory=list)  # per-record problems that were skipped, with reason
    present_ids: list[str] | None = None  # every id that exists upstream (an id scan), or None


class Connector(Protocol):
    def fetch(self, object_name: str, cursor: dict | None) -> FetchResult: ...

    def close(self) -> None: ...


class SourceOptions(BaseModel):
    """Base of every source's options model (validated from the tenants file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class ConnectContext:
    """Everything a connector needs for one tenant. ``credentials`` hold resolved secret values:
    never log them, never put them into metadata or error messages."""

    tenant_id: str
    base_url: str
    credentials: Mapping[str, str]
    options: Any  # the source's SourceOptions subclass instance
    transport: httpx.BaseTransport | None = None  # in-process emulator or test double
    sleep: Callable[[float], None] | None = None  # injectable for tests
    extra_urls: Mapping[str, str] = field(default_factory=dict)  # e.g. ms365 token_url


@dataclass(frozen=True)
class SourceDefinition:
    name: str  # hero | monday | ms365 | lexware | weclapp | calcom | booking_db
    title: str  # "Lexware Office"
    kinds: frozenset[str]  # Dagster kinds shown in the UI
    objects: tuple[ObjectSpec, ...]
    options_model: type[SourceOptions]
    credential_fields: tuple[str, ...]  # names of secrets the connector needs, e.g. ("api_key",)
    connect: Callable[[ConnectContext], Connector]
    emulator: Callable[[], Any]  # builds the emulator serving every demo tenant
    demo_credentials: Callable[[str], dict[str, str]]  # tenant_id -> credentials the emulator accepts
    docs_url: str = ""

    def object(self, name: str) -> ObjectSpec:
        for spec in self.objects:
            if spec.name == name:
                return spec
        raise KeyError(f"source {self.name!r} has no object {name!r}")
