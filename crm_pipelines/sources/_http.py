"""The one place for HTTP retries, backoff, client-side rate limiting and paging helpers.

Every source client builds an ``HttpClient`` and passes the few things that differ per API as
hooks: how to read a server's "wait this long" hint, how to spot an error hidden in an HTTP 200
body (GraphQL), how to turn an error body into a one-line detail. Secrets travel only in headers,
and headers are never part of an error message or a log line.
"""

from __future__ import annotations

import email.utils
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class SourceError(RuntimeError):
    """A call to a source failed for good. The message names source, tenant, endpoint and status."""

    def __init__(self, source: str, tenant_id: str, endpoint: str, status: int | None, detail: str):
        self.source, self.tenant_id, self.endpoint, self.status, self.detail = (
            source, tenant_id, endpoint, status, detail)
        where = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"{source} (tenant {tenant_id}) {endpoint}: {where}: {detail}")


class RetryableError(SourceError):
    """A failure worth retrying; ``retry_after`` is the server's hint in seconds, if it gave one."""

    def __init__(self, *args: Any, retry_after: float | None = None):
        super().__init__(*args)
        self.retry_after = retry_after


class TokenBucket:
    """Client-side rate limiter: at most ``rate`` requests per second, bursts up to ``capacity``."""

    def __init__(self, rate: float, capacity: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.rate, self.capacity, self._clock, self._sleep = rate, capacity, clock, sleep
        self._tokens = capacity
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                wait = (1.0 - self._tokens) / self.rate
            self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """The server said to wait: drain the bucket so no request goes out before then."""
        with self._lock:
            self._tokens = min(self._tokens, 1.0 - seconds * self.rate)


def sleep_and_clock(sleep: Callable[[float], None] | None) -> tuple[Callable[[float], None], Callable[[], float]]:
    """The sleep and the rate-limiter clock for one client. With an injected sleep (tests: a no-op or
    a fake clock), the clock also advances by the time "slept", so that ``TokenBucket.pause`` after a
    server's wait hint does not become a busy wait in real time."""
    if sleep is None:
        return time.sleep, time.monotonic
    slept = [0.0]

    def counted(seconds: float) -> None:
        slept[0] += seconds
        sleep(seconds)

    return counted, lambda: time.monotonic() + slept[0]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 60.0
    statuses: frozenset[int] = RETRY_STATUSES

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter (attempt counts from 1)."""
        return random.uniform(self.base_delay, min(self.max_delay, self.base_delay * 2 ** attempt))


def retry_after_header(response: httpx.Response) -> float | None:
    """Read ``Retry-After`` in seconds or as an HTTP date."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def default_error_detail(body: Any, response: httpx.Response) -> str:
    if isinstance(body, dict):
        for key in ("message", "detail", "title", "error_message", "error"):
            if isinstance(body.get(key), str):
                return body[key]
    return (response.text or "")[:200].replace("\n", " ")


@dataclass
class HttpClient:
    """An httpx client with rate limit, retries and uniform errors for one source and tenant."""

    source: str
    tenant_id: str
    base_url: str
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    transport: httpx.BaseTransport | None = None
    timeout: float = 30.0
    rate_limiter: TokenBucket | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    wait_hint: Callable[[httpx.Response, Any], float | None] = lambda r, body: retry_after_header(r)
    error_detail: Callable[[Any, httpx.Response], str] = default_error_detail
    inspect: Callable[[httpx.Response, Any], None] | None = None  # raise for errors inside a 2xx body
    requests: int = 0

    def __post_init__(self) -> None:
        self._client = httpx.Client(base_url=self.base_url, headers=self.headers,
                                    transport=self.transport, timeout=self.timeout)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._client.close()

    def request_json(self, method: str, url: str, *, endpoint: str | None = None,
                     ok_statuses: tuple[int, ...] = (200, 201),
                     empty_statuses: tuple[int, ...] = (),
                     empty_when: Callable[[httpx.Response, Any], bool] | None = None, **kwargs: Any) -> Any:
        """Send a request (with rate limit and retries) and return the parsed JSON body.

        ``empty_statuses``: statuses that mean "nothing here" and return ``None`` (Cal.com's 404).
        ``empty_when(response, body)``: if given, such a status means "nothing here" only when it
        returns True (e.g. the body says "Event types not found", not "Cannot GET"); otherwise the
        status is handled as the error it is.
        """
        endpoint = endpoint or url.split("?")[0]

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            hint = getattr(exc, "retry_after", None)
            delay = hint if hint is not None else self.retry.backoff(state.attempt_number)
            if self.rate_limiter is not None and hint is not None:
                self.rate_limiter.pause(delay)
            return delay

        retrying = Retrying(stop=stop_after_attempt(self.retry.max_attempts), wait=wait,
                            retry=retry_if_exception(lambda e: isinstance(e, RetryableError)),
                            sleep=self.sleep, reraise=True)
        return retrying(self._attempt, method, url, endpoint, ok_statuses, empty_statuses, kwargs, empty_when)

    def _attempt(self, method: str, url: str, endpoint: str, ok_statuses: tuple[int, ...],
                 empty_statuses: tuple[int, ...], kwargs: dict,
                 empty_when: Callable[[httpx.Response, Any], bool] | None = None) -> Any:
        if self.rate_limiter is not None:
            self.rate_limiter.acquire()
        with self._lock:
            self.requests += 1
        try:
            response = self._client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise RetryableError(self.source, self.tenant_id, endpoint, None,
                                 f"timed out after {self.timeout:g}s ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise RetryableError(self.source, self.tenant_id, endpoint, None,
                                 f"connection failed ({type(exc).__name__})") from None
        body = _parse_body(response)
        status = response.status_code
        if status in empty_statuses and (
                empty_when is None or empty_when(response, None if body is _MALFORMED else body)):
            return None
        if status in ok_statuses:
            if body is _MALFORMED:
                raise RetryableError(self.source, self.tenant_id, endpoint, status,
                                     "malformed JSON in response body (truncated?)")
            if self.inspect is not None:
                self.inspect(response, body)
            return body
        detail = self.error_detail(None if body is _MALFORMED else body, response)
        if status in self.retry.statuses:
            raise RetryableError(self.source, self.tenant_id, endpoint, status, detail,
                                 retry_after=self.wait_hint(response, body))
        raise SourceError(self.source, self.tenant_id, endpoint, status, detail)

    def error(self, endpoint: str, status: int | None, detail: str, *, retryable: bool = False,
              retry_after: float | None = None) -> SourceError:
        """Build an error for problems a client finds in a successful response."""
        if retryable:
            return RetryableError(self.source, self.tenant_id, endpoint, status, detail,
                                  retry_after=retry_after)
        return SourceError(self.source, self.tenant_id, endpoint, status, detail)


_MALFORMED = object()


def _parse_body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return _MALFORMED


# ---- paging helpers -----------------------------------------------------------------------------

def offset_pages(fetch: Callable[[int, int], list], page_size: int, start: int = 0) -> Iterator[list]:
    """``fetch(offset, limit)`` until a page shorter than ``page_size`` (HERO)."""
    offset = start
    while True:
        page = fetch(offset, page_size)
        yield page
        if len(page) < page_size:
            return
        offset += page_size


def numbered_pages(fetch: Callable[[int], tuple[list, bool]], first: int = 0,
                   max_pages: int = 100_000) -> Iterator[list]:
    """``fetch(page) -> (items, is_last)`` for page = first, first+1, ... (Lexware 0-based, weclapp 1-based)."""
    for page in range(first, first + max_pages):
        items, is_last = fetch(page)
        yield items
        if is_last:
            return
    raise RuntimeError(f"paging did not end after {max_pages} pages")


def linked_pages(fetch: Callable[[str], tuple[list, str | None, Any]], first_url: str,
                 max_pages: int = 100_000) -> Iterator[tuple[list, Any]]:
    """``fetch(url) -> (items, next_url, extra)`` following next links as given (Graph, monday cursor)."""
    url: str | None = first_url
    for _ in range(max_pages):
        if url is None:
            return
        items, url, extra = fetch(url)
        yield items, extra
    raise RuntimeError(f"paging did not end after {max_pages} pages")
