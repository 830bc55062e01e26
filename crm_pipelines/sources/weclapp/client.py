"""weclapp REST v2 client: ``AuthenticationToken`` header, ``{"result": [...]}`` pages, load management.

Listing is keyset paging on ``lastModifiedDate`` (``sort=lastModifiedDate,id``): each page asks
for ``lastModifiedDate-ge=<last value seen>`` again from page 1, so a record edited or deleted
while we page cannot shift an unread record past us (plain offset pages would skip it); only when
a whole page shares one timestamp does the page number advance. Records are de-duplicated by id.

Incremental runs start at the previous maximum ``lastModifiedDate`` minus ``overlap_ms``.
Deletions never show up in listings, so an id scan (``properties=id,lastModifiedDate``, paged the
same robust way) runs every ``id_scan_every_runs`` runs and is returned as ``present_ids``:
every stored row not in it is a deletion. 429s carry ``X-Weclapp-Wait-Ms``, used as the wait.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import urlencode

from pydantic import Field

from crm_pipelines.sources._http import HttpClient, RetryPolicy, linked_pages, retry_after_header
from crm_pipelines.sources.base import ConnectContext, FetchResult, SourceOptions

OBJECT_ENTITIES = {"contacts": "party", "tasks": "task", "users": "user"}
_SLOTS: dict[tuple[str, str], threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


class WeclappOptions(SourceOptions):
    page_size: int = Field(500, ge=1, le=1000, description="records per page (documented maximum 1000)")
    id_scan_page_size: int = Field(1000, ge=1, le=1000, description="ids per page in the deletion scan")
    overlap_ms: int = Field(60_000, ge=0, description="re-read changes this long before the last maximum")
    id_scan_every_runs: int = Field(1, ge=0, description="id scan for deletions every N incremental runs; 0 = never")
    max_concurrent_requests: int = Field(2, ge=1, description="per tenant and process (weclapp's limit: UNCONFIRMED)")
    wait_timeout_ms: int | None = Field(None, ge=0, description="X-Weclapp-Wait-Timeout-Ms: max queueing time")
    request_timeout_ms: int | None = Field(None, ge=0, description="X-Weclapp-Request-Timeout-Ms")
    timeout_seconds: float = Field(60.0, gt=0, description="HTTP timeout (weclapp may queue a request ~30 s)")
    max_attempts: int = Field(6, ge=1)


def weclapp_wait_hint(response: Any, body: Any) -> float | None:
    """``X-Weclapp-Wait-Ms`` (load management), else ``Retry-After``."""
    value = response.headers.get("x-weclapp-wait-ms")
    if value and value.strip().isdigit():
        return int(value) / 1000
    return retry_after_header(response)


def weclapp_error_detail(body: Any, response: Any) -> str:
    """RFC 7807 problem: title, detail and each validation error's location and detail."""
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("title", "detail") if body.get(k)]
        parts += [f"{e.get('location', '?')}: {e.get('detail', '')}" for e in body.get("validationErrors") or []
                  if isinstance(e, dict)]
        reason = response.headers.get("x-weclapp-wait-reason")
        if reason:
            parts.append(f"wait reason: {reason}")
        return "; ".join(parts) or str(body)[:200]
    return (getattr(response, "text", "") or "")[:200]


def _slot(base_url: str, tenant_id: str, limit: int) -> threading.BoundedSemaphore:
    """One semaphore per weclapp tenant in this process, shared by every connector for it."""
    with _SLOTS_LOCK:
        return _SLOTS.setdefault((base_url, tenant_id), threading.BoundedSemaphore(limit))


class WeclappConnector:
    """Fetches ``contacts`` (parties), ``tasks`` and ``users`` incrementally for one tenant."""

    def __init__(self, ctx: ConnectContext):
        self.options: WeclappOptions = ctx.options
        headers = {"AuthenticationToken": ctx.credentials["api_token"], "Accept": "application/json"}
        if self.options.wait_timeout_ms is not None:
            headers["X-Weclapp-Wait-Timeout-Ms"] = str(self.options.wait_timeout_ms)
        if self.options.request_timeout_ms is not None:
            headers["X-Weclapp-Request-Timeout-Ms"] = str(self.options.request_timeout_ms)
        sleep = ctx.sleep or time.sleep
        self.http = HttpClient(
            source="weclapp", tenant_id=ctx.tenant_id, base_url=ctx.base_url, headers=headers,
            transport=ctx.transport, timeout=self.options.timeout_seconds,
            retry=RetryPolicy(max_attempts=self.options.max_attempts, base_delay=0.5), sleep=sleep,
            wait_hint=weclapp_wait_hint, error_detail=weclapp_error_detail)
        self._slot = _slot(ctx.base_url, ctx.tenant_id, self.options.max_concurrent_requests)

    def close(self) -> None:
        self.http.close()

    def _get(self, path: str, endpoint: str, params: dict | None = None) -> Any:
        with self._slot:
            return self.http.request_json("GET", path, endpoint=endpoint, params=params)

    # -- the API ------------------------------------------------------------------------------
    def count_changed(self, entity: str, since_ms: int | None) -> int:
        """How many records changed after ``since_ms`` (all when None); ``entity`` or object name."""
        entity = OBJECT_ENTITIES.get(entity, entity)
        params = {} if since_ms is None else {"lastModifiedDate-gt": since_ms}
        body = self._get(f"/{entity}/count", f"GET /{entity}/count", params)
        if not isinstance(body, dict) or not isinstance(body.get("result"), int):
            raise self.http.error(f"GET /{entity}/count", 200, "malformed count: no integer 'result'")
        return body["result"]

    def probe_changes(self, since: str | None) -> tuple[int, str]:
        """For the change sensor: records of every object changed after ``since`` (epoch ms), via
        ``/count`` only. The next token is taken before counting, so nothing slips between two probes."""
        token = str(int(time.time() * 1000))
        if since is None:
            return 0, token
        return sum(self.count_changed(obj, int(since)) for obj in OBJECT_ENTITIES), token

    def list_since(self, entity: str, since_ms: int | None, page_size: int,
                   properties: str | None = None) -> list[dict]:
        """Every record with ``lastModifiedDate >= since_ms`` (all when None), keyset-paged, by id."""
        endpoint = f"GET /{entity}"
        base = {"sort": "lastModifiedDate,id", "serializeNulls": "true", "pageSize": page_size}
        if properties:
            base["properties"] = properties

        def url(start: int | None, page: int) -> str:
            params = {**base, "page": page, **({} if start is None else {"lastModifiedDate-ge": start})}
            return f"/{entity}?{urlencode(params)}"

        state = {"start": since_ms, "page": 1}

        def fetch(link: str) -> tuple[list, str | None, None]:
            body = self._get(link, endpoint)
            if not isinstance(body, dict) or not isinstance(body.get("result"), list):
                raise self.http.error(endpoint, 200, "malformed page: no 'result' list in the response")
            items = body["result"]
            if not all(isinstance(i, dict) and i.get("id") for i in items):
                raise self.http.error(endpoint, 200, "malformed page: an item without 'id'")
            if len(items) < page_size:
                return items, None, None
            last = items[-1].get("lastModifiedDate") or 0
            if last == state["start"]:  # a full page of one timestamp: step through it by page number
                state["page"] += 1
            else:
                state["start"], state["page"] = last, 1
            return items, url(state["start"], state["page"]), None

        seen: dict[str, dict] = {}
        for items, _ in linked_pages(fetch, url(since_ms, 1)):
            for item in items:
                seen[str(item["id"])] = item
        return list(seen.values())

    def fetch(self, object_name: str, cursor: dict | None) -> FetchResult:
        if object_name not in OBJECT_ENTITIES:
            raise KeyError(f"weclapp has no object {object_name!r}")
        entity, cursor = OBJECT_ENTITIES[object_name], cursor or {}
        since = cursor.get("since_ms")
        records = self.list_since(entity, since, self.options.page_size)
        latest = max((int(r.get("lastModifiedDate") or 0) for r in records), default=None)
        next_since = since if latest is None else max(latest - self.options.overlap_ms, since or 0)
        if since is None:
            return FetchResult(records=records, complete=True, cursor={"since_ms": next_since, "runs": 0},
                               requests=self.http.requests)
        runs, present = int(cursor.get("runs") or 0) + 1, None
        every = self.options.id_scan_every_runs
        if every and runs >= every:
            scan = self.list_since(entity, None, self.options.id_scan_page_size, properties="id,lastModifiedDate")
            present, runs = sorted(str(r["id"]) for r in scan), 0
        return FetchResult(records=records, complete=False, present_ids=present,
                           cursor={"since_ms": next_since, "runs": runs}, requests=self.http.requests)
