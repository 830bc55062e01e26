"""Lexware Office (lexoffice) API client: Bearer key, 0-based pages of up to 250, 2 requests/s.

Contacts have no change timestamp and no modified-since filter, so every run is a full scan
(change detection by content hash happens in the warehouse). Vouchers are incremental through
``updatedDateFrom`` (day granularity, so the cursor overlaps by ``voucher_overlap_days``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from crm_pipelines.sources._http import HttpClient, RetryPolicy, TokenBucket, numbered_pages
from crm_pipelines.sources.base import ConnectContext, FetchResult, SourceOptions

DEFAULT_BASE_URL = "https://api.lexware.io"


class LexwareOptions(SourceOptions):
    page_size: int = Field(250, ge=1, le=250, description="records per page (API maximum 250)")
    requests_per_second: float = Field(2.0, gt=0, description="Lexware allows 2 requests/s per key")
    voucher_types: str = Field("any", description="comma list for the mandatory voucherType filter")
    voucher_statuses: str = Field("any", description="comma list for the mandatory voucherStatus filter")
    voucher_overlap_days: int = Field(1, ge=0, description="re-read this many days before the cursor")
    timeout_seconds: float = Field(30.0, gt=0)
    max_attempts: int = Field(6, ge=1)


def lexware_error_detail(body: Any, response: Any) -> str:
    """Both Lexware error formats: the regular one and the legacy ``IssueList`` (contacts)."""
    if isinstance(body, dict):
        if isinstance(body.get("IssueList"), list):
            issues = [f"{i.get('i18nKey', '?')}@{i.get('source', '?')} ({i.get('type', '?')})"
                      for i in body["IssueList"] if isinstance(i, dict)]
            return "; ".join(issues) or "IssueList without entries"
        message = body.get("message") or body.get("error") or ""
        details = [f"{d.get('field', '?')}: {d.get('violation', '')} {d.get('message', '')}".strip()
                   for d in body.get("details") or [] if isinstance(d, dict)]
        return "; ".join([message, *details]).strip("; ") or str(body)[:200]
    return (getattr(response, "text", "") or "")[:200]


class LexwareConnector:
    """Fetches ``contacts`` (full scan) and ``vouchers`` (incremental) for one tenant."""

    def __init__(self, ctx: ConnectContext):
        self.options: LexwareOptions = ctx.options
        sleep = ctx.sleep or __import__("time").sleep
        self.http = HttpClient(
            source="lexware", tenant_id=ctx.tenant_id, base_url=ctx.base_url,
            headers={"Authorization": f"Bearer {ctx.credentials['api_key']}", "Accept": "application/json"},
            transport=ctx.transport, timeout=self.options.timeout_seconds,
            rate_limiter=TokenBucket(self.options.requests_per_second, capacity=1.0, sleep=sleep),
            retry=RetryPolicy(max_attempts=self.options.max_attempts, base_delay=0.5),
            sleep=sleep, error_detail=lexware_error_detail)

    def close(self) -> None:
        self.http.close()

    def fetch(self, object_name: str, cursor: dict | None) -> FetchResult:
        if object_name == "contacts":
            return self._contacts()
        if object_name == "vouchers":
            return self._vouchers(cursor)
        raise KeyError(f"lexware has no object {object_name!r}")

    # -- contacts -----------------------------------------------------------------------------
    def _contacts(self) -> FetchResult:
        def page(number: int) -> tuple[list, bool]:
            body = self.http.request_json("GET", "/v1/contacts", endpoint="GET /v1/contacts",
                                          params={"page": number, "size": self.options.page_size})
            return self._page_items(body, "GET /v1/contacts")

        records = _dedupe_by_id(item for items in numbered_pages(page, first=0) for item in items)
        return FetchResult(records=records, complete=True, requests=self.http.requests)

    # -- vouchers -----------------------------------------------------------------------------
    def _vouchers(self, cursor: dict | None) -> FetchResult:
        since = (cursor or {}).get("updated_since")
        params: dict[str, Any] = {"voucherType": self.options.voucher_types,
                                  "voucherStatus": self.options.voucher_statuses,
                                  "size": self.options.page_size, "sort": "updatedDate,ASC"}
        if since:
            params["updatedDateFrom"] = since

        def page(number: int) -> tuple[list, bool]:
            body = self.http.request_json("GET", "/v1/voucherlist", endpoint="GET /v1/voucherlist",
                                          params={**params, "page": number})
            return self._page_items(body, "GET /v1/voucherlist")

        records = _dedupe_by_id(item for items in numbered_pages(page, first=0) for item in items)
        latest = max((str(r.get("updatedDate") or "")[:10] for r in records), default=since)
        new_cursor = None
        if latest:
            day = dt.date.fromisoformat(latest) - dt.timedelta(days=self.options.voucher_overlap_days)
            new_cursor = {"updated_since": max(day.isoformat(), since or "")}
        return FetchResult(records=records, complete=since is None, cursor=new_cursor,
                           requests=self.http.requests)

    def _page_items(self, body: Any, endpoint: str) -> tuple[list, bool]:
        if not isinstance(body, dict) or not isinstance(body.get("content"), list):
            raise self.http.error(endpoint, 200, "malformed page: no 'content' list in the response")
        if not all(isinstance(item, dict) and item.get("id") for item in body["content"]):
            raise self.http.error(endpoint, 200, "malformed page: an item without 'id'")
        is_last = bool(body.get("last", True)) or not body["content"]
        return body["content"], is_last


def _dedupe_by_id(items: Any) -> list[dict]:
    """Offset pages over a changing set can repeat a record; keep the last copy of each id."""
    seen: dict[str, dict] = {}
    for item in items:
        seen[str(item["id"])] = item
    return list(seen.values())
