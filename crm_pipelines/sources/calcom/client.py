"""Cal.com API v2 client: team event types, ``cal-api-version`` header, header-paced rate limit.

``GET /v2/teams/{teamId}/event-types`` returns a team's event types in one answer (no paging) and
has no change filter, so every run is a full fetch per team (``complete=True``; the warehouse
diffs by content hash). A 404 whose body says "Event types not found" is an empty list; any
other 404 (a wrong path or ``cal-api-version``: "Cannot GET ...") is an error. The API key limit
(120 requests per fixed 60 s window) is announced in ``X-RateLimit-*-Default`` headers: the
client waits for the window reset when the remaining count reaches 0, and retries a 429 after
``X-RateLimit-Reset-Default`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import Field

from crm_pipelines.sources._http import HttpClient, RetryPolicy, retry_after_header
from crm_pipelines.sources.base import ConnectContext, FetchResult, SourceOptions

DEFAULT_BASE_URL = "https://api.cal.com"


class CalcomOptions(SourceOptions):
    team_ids: list[int] = Field(..., min_length=1, description="the tenant's Cal.com team ids")
    api_version: str = Field("2024-06-14", description="cal-api-version header on event-type calls")
    requests_per_window: int = Field(120, ge=1, description="pacing before the first rate-limit headers "
                                                            "arrive (API key: 120 per window)")
    rate_window_seconds: float = Field(60.0, gt=0, description="Cal.com's fixed rate-limit window")
    rate_limit_name: str = Field("Default", description="throttler name in X-RateLimit-<field>-<name>")
    empty_list_message: str = Field("Event types not found",
                                    description="404 message that means 'no event types' (an empty list)")
    timeout_seconds: float = Field(30.0, gt=0)
    max_attempts: int = Field(6, ge=1)


class HeaderPacer:
    """Client-side pacing for a fixed-window limit, driven by the server's X-RateLimit headers.

    Counts requests itself until the first answer, then trusts ``Remaining``/``Reset`` (seconds).
    When nothing remains, the next ``acquire`` sleeps until the window resets. HttpClient calls
    ``pause`` before it sleeps for a 429's reset hint; after that sleep the window is fresh.
    """

    def __init__(self, limit: int, window: float, name: str = "Default",
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.limit, self.window, self.name = limit, window, name
        self._clock, self._sleep = clock, sleep
        self._remaining, self._reset_at = limit, None
        self._lock = threading.Lock()
        self.waited = 0.0  # total seconds slept for the limit (for tests and metadata)

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            if self._reset_at is not None and now >= self._reset_at:
                self._remaining, self._reset_at = self.limit, None
            wait = max(0.0, self._reset_at - now) if self._remaining <= 0 and self._reset_at else 0.0
        if wait:
            self._sleep(wait)
            self.waited += wait
        with self._lock:
            if wait or self._remaining <= 0:
                self._remaining, self._reset_at = self.limit, None
            if self._reset_at is None:
                self._reset_at = self._clock() + self.window
            self._remaining -= 1

    def pause(self, seconds: float) -> None:
        """The retry sleeps ``seconds``; if that outlasts the current window, the next one is fresh."""
        with self._lock:
            if self._reset_at is None or self._reset_at - self._clock() <= seconds:
                self._remaining, self._reset_at = self.limit, None

    def observe(self, response: httpx.Response) -> None:
        remaining = response.headers.get(f"x-ratelimit-remaining-{self.name}")
        reset = response.headers.get(f"x-ratelimit-reset-{self.name}")
        try:
            remaining_n, reset_s = int(remaining), float(reset)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return
        with self._lock:
            self._remaining, self._reset_at = remaining_n, self._clock() + max(0.0, reset_s)


def calcom_error_detail(body: Any, response: Any) -> str:
    """The global HttpExceptionFilter envelope: ``{"status":"error","error":{"code","message"}}``."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        message = error.get("message")
        if isinstance(message, list):
            message = "; ".join(str(m) for m in message)
        return f"{error.get('code', 'Error')}: {message or ''}".strip()
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return (getattr(response, "text", "") or "")[:200].replace("\n", " ")


class CalcomConnector:
    """Fetches ``event_types`` of every team in ``options.team_ids`` (full fetch each run)."""

    def __init__(self, ctx: ConnectContext):
        self.options: CalcomOptions = ctx.options
        sleep = ctx.sleep or time.sleep
        self.pacer = HeaderPacer(self.options.requests_per_window, self.options.rate_window_seconds,
                                 self.options.rate_limit_name, sleep=sleep)
        self.http = HttpClient(
            source="calcom", tenant_id=ctx.tenant_id, base_url=ctx.base_url,
            headers={"Authorization": f"Bearer {ctx.credentials['api_key']}", "Accept": "application/json"},
            transport=ctx.transport, timeout=self.options.timeout_seconds, rate_limiter=self.pacer,  # type: ignore[arg-type]
            retry=RetryPolicy(max_attempts=self.options.max_attempts, base_delay=0.5),
            sleep=sleep, wait_hint=self._wait_hint, error_detail=self._error_detail, inspect=self._inspect)

    def close(self) -> None:
        self.http.close()

    def fetch(self, object_name: str, cursor: dict | None) -> FetchResult:
        if object_name != "event_types":
            raise KeyError(f"calcom has no object {object_name!r}")
        records: dict[str, dict] = {}
        for team_id in dict.fromkeys(self.options.team_ids):
            for item in self.team_event_types(team_id):
                records[str(item["id"])] = item
        return FetchResult(records=list(records.values()), complete=True, requests=self.http.requests)

    def team_event_types(self, team_id: int) -> list[dict]:
        path = f"/v2/teams/{int(team_id)}/event-types"
        endpoint = f"GET {path}"
        body = self.http.request_json("GET", path, endpoint=endpoint,
                                      headers={"cal-api-version": self.options.api_version},
                                      empty_statuses=(404,), empty_when=self._is_empty_list)
        if body is None:
            return []
        items = body["data"]
        if not all(isinstance(item, dict) and item.get("id") is not None for item in items):
            raise self.http.error(endpoint, 200, "malformed answer: an event type without 'id'")
        return items

    # -- HttpClient hooks ---------------------------------------------------------------------
    def _is_empty_list(self, response: httpx.Response, body: Any) -> bool:
        self.pacer.observe(response)
        error = body.get("error") if isinstance(body, dict) else None
        message = str(error.get("message") or "") if isinstance(error, dict) else ""
        return (isinstance(error, dict) and error.get("code") == "NotFoundException"
                and self.options.empty_list_message.lower() in message.lower())

    def _inspect(self, response: httpx.Response, body: Any) -> None:
        self.pacer.observe(response)
        if not isinstance(body, dict) or body.get("status") != "success" or not isinstance(body.get("data"), list):
            raise self.http.error(f"{response.request.method} {response.request.url.path}", response.status_code,
                                  "malformed answer: expected {'status': 'success', 'data': [...]}")

    def _wait_hint(self, response: httpx.Response, body: Any) -> float | None:
        self.pacer.observe(response)
        reset = response.headers.get(f"x-ratelimit-reset-{self.options.rate_limit_name}")
        if response.status_code == 429 and reset is not None:
            try:
                return max(0.0, float(reset))
            except ValueError:
                pass
        return retry_after_header(response)

    def _error_detail(self, body: Any, response: httpx.Response) -> str:
        self.pacer.observe(response)
        return calcom_error_detail(body, response)
