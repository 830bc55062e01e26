"""Options of the monday.com source: the boards to read (role + column map) and the API knobs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crm_pipelines.sources.base import SourceOptions
from crm_pipelines.sources.monday.mapping import CANONICAL_FIELDS


class MondayBoard(BaseModel):
    """One board whose items are contacts of one role."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    board_id: str
    role: Literal["employee", "subcontractor", "supplier", "customer"]
    columns: dict[str, str] = Field(default_factory=dict,
                                    description="column id -> canonical field (email, phone, mobile, company, "
                                                "first_name, last_name, full_name, street, postal_code, city, ...)")
    item_name: Literal["auto", "full_name", "company"] = Field(
        "auto", description="what the item name holds: a person's full name, a company name, or auto (the core "
                            "decides; employees are always persons)")

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value.values()) - set(CANONICAL_FIELDS))
        if unknown:
            raise ValueError(f"unknown canonical field(s) {unknown}; known: {', '.join(CANONICAL_FIELDS)}")
        return value


class MondayOptions(SourceOptions):
    boards: tuple[MondayBoard, ...] = Field((), description="the boards holding contacts")
    api_version: str = Field("2025-04", pattern=r"^\d{4}-\d{2}$", description="pinned API-Version header")
    auth_scheme: Literal["raw", "bearer"] = Field("raw", description="raw token (official SDK) or 'Bearer <token>'")
    page_size: int = Field(100, ge=1, le=500, description="items per page (API maximum 500)")
    id_scan_page_size: int = Field(500, ge=1, le=500, description="items per page of the id-only deletion scan")
    id_scan_every: int = Field(1, ge=0, description="run the id-only deletion scan every N incremental runs "
                                                    "(0: never; deletions then only arrive with a full re-read)")
    overlap_seconds: float = Field(300.0, ge=0, description="re-read items updated this long before the cursor")
    cursor_restarts: int = Field(3, ge=0, description="restarts of a board scan after an expired cursor")
    request_complexity: bool = Field(True, description="ask for complexity { ... } with every query")
    pace_after_page: bool = Field(True, description="sleep complexity / budget x 60 s after each page (official SDK)")
    pace_budget_per_minute: int = Field(10_000_000, gt=0, description="budget the pacing assumes (app tokens: 5M)")
    requests_per_second: float = Field(10.0, gt=0, description="client-side request cap; per-minute limits UNCONFIRMED")
    max_wait_seconds: float = Field(120.0, gt=0, description="longest server-requested wait that is honoured")
    timeout_seconds: float = Field(60.0, gt=0)
    max_attempts: int = Field(6, ge=1)
