"""HERO external GraphQL API client: ``contacts(first, offset, orderBy: "id", show_deleted: true)``.

Offset pages until a short page. HERO has no "modified since" argument, so every fetch is a full
scan (``complete=True``) and change detection is the warehouse's content hash: an "incremental"
run writes only the contacts whose content changed. Deleted contacts stay in the listing
(``is_deleted``) and become tombstones. GraphQL ``errors`` in an HTTP 200 body are errors: a
schema error (unknown field, bad argument, syntax) fails at once, anything else is retried.
Ordering by id keeps pages stable while contacts are created (new ids come last); records are
still de-duplicated by id in case a page shifts. ``X-Complexity`` is logged when HERO sends it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
from pydantic import Field

from crm_pipelines.sources._http import HttpClient, RetryPolicy, TokenBucket, offset_pages, sleep_and_clock
from crm_pipelines.sources.base import ConnectContext, FetchResult, SourceOptions

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://login.hero-software.de"
DEFAULT_FIELDS = ("id nr type category title title_custom first_name last_name company_name email "
                  "phone_home phone_mobile phone_fax position birth_date parent_customer_id is_contact_person "
                  "created modified is_deleted address { street zipcode city country { name } }")
QUERY = """query Contacts($first: Int, $offset: Int, $show_deleted: Boolean) {
  contacts(first: $first, offset: $offset, orderBy: "id", show_deleted: $show_deleted) { %s }
}"""
# Errors the query itself causes: retrying cannot help.
_PERMANENT = re.compile(r"Cannot query field|Unknown argument|Unknown type|Syntax Error|must have a selection|"
                        r"must not have a selection|Variable|Expected type|Invalid|Unauthori[sz]ed|"
                        r"not configured", re.I)


class HeroOptions(SourceOptions):
    graphql_path: str = Field("/api/external/v7/graphql",
                              description="API version path (v7 per the official guide; v9 exists, UNCONFIRMED)")
    page_size: int = Field(100, ge=1, le=1000, description="contacts per page (`first`); maximum UNCONFIRMED")
    contact_fields: str = Field(DEFAULT_FIELDS, description="GraphQL selection of Customer fields (v7 names)")
    show_deleted: bool = Field(True, description="list soft-deleted contacts so they become tombstones")
    requests_per_second: float = Field(4.0, gt=0, description="client-side pace; HERO's limit is UNCONFIRMED")
    retry_statuses: tuple[int, ...] = Field((429, 502, 503), description="HTTP statuses retried with backoff")
    timeout_seconds: float = Field(30.0, gt=0)
    max_attempts: int = Field(6, ge=1)
    max_pages: int = Field(10_000, ge=1)


def hero_error_detail(body: Any, response: Any) -> str:
    if isinstance(body, dict):
        messages = [str(e.get("message")) for e in body.get("errors") or [] if isinstance(e, dict)]
        if messages:
            return "; ".join(messages)
        if isinstance(body.get("message"), str):
            return body["message"]
    text = (getattr(response, "text", "") or "")[:200].replace("\n", " ")
    return re.sub(r"<[^>]+>", " ", text).strip() or "empty body"


class HeroConnector:
    """Fetches ``contacts`` for one tenant (full scan every run)."""

    endpoint = "POST /graphql contacts"

    def __init__(self, ctx: ConnectContext):
        self.options: HeroOptions = ctx.options
        self.last_complexity: str | None = None
        sleep, clock = sleep_and_clock(ctx.sleep)
        self.http = HttpClient(
            source="hero", tenant_id=ctx.tenant_id,
            base_url=(ctx.base_url or DEFAULT_BASE_URL).rstrip("/").removesuffix(self.options.graphql_path),
            headers={"Authorization": f"Bearer {ctx.credentials['api_key']}",
                     "Content-Type": "application/json", "Accept": "application/json"},
            transport=ctx.transport, timeout=self.options.timeout_seconds,
            rate_limiter=TokenBucket(self.options.requests_per_second, capacity=1.0, clock=clock, sleep=sleep),
            retry=RetryPolicy(max_attempts=self.options.max_attempts, base_delay=0.5,
                              statuses=frozenset(self.options.retry_statuses)),
            sleep=sleep, error_detail=hero_error_detail, inspect=self._inspect)

    def close(self) -> None:
        self.http.close()

    def fetch(self, object_name: str, cursor: dict | None) -> FetchResult:
        if object_name != "contacts":
            raise KeyError(f"hero has no object {object_name!r}")
        query = QUERY % self.options.contact_fields

        def page(offset: int, size: int) -> list:
            body = self.http.request_json(
                "POST", self.options.graphql_path, endpoint=self.endpoint,
                json={"query": query, "variables": {"first": size, "offset": offset,
                                                    "show_deleted": self.options.show_deleted}})
            return body["data"]["contacts"]

        records: dict[str, dict] = {}
        for number, items in enumerate(offset_pages(page, self.options.page_size)):
            if number >= self.options.max_pages:
                raise self.http.error(self.endpoint, 200, f"paging did not end after {number} pages")
            for item in items:
                records[str(item["id"])] = item  # a shifted page repeats a contact: keep one copy
        return FetchResult(records=list(records.values()), complete=True, requests=self.http.requests)

    def _inspect(self, response: httpx.Response, body: Any) -> None:
        complexity = response.headers.get("x-complexity")
        if complexity is not None:
            self.last_complexity = complexity
            log.debug("hero X-Complexity: %s", complexity)
        if not isinstance(body, dict):
            raise self.http.error(self.endpoint, response.status_code, "response body is not a JSON object",
                                  retryable=True)
        if body.get("errors"):
            detail = hero_error_detail(body, response)
            raise self.http.error(self.endpoint, response.status_code, f"GraphQL error: {detail}",
                                  retryable=not _PERMANENT.search(detail))
        contacts = (body.get("data") or {}).get("contacts")
        if not isinstance(contacts, list) or not all(isinstance(c, dict) and "id" in c for c in contacts):
            raise self.http.error(self.endpoint, response.status_code,
                                  "malformed response: data.contacts is not a list of contacts with ids")
