"""Shared machinery for the API emulators.

An emulator is a plain object with ``handle(EmuRequest) -> EmuResponse``. This module serves it
two ways with the same code path: in-process as an ``httpx.MockTransport`` (fast tests, the demo)
and over real HTTP on a localhost port (``crm-pipelines emulate``, socket tests). It also holds
what every emulator needs: injectable faults, a server-side rate limiter and a request log.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import httpx

if TYPE_CHECKING:
    from crm_pipelines.sources._emulator_http import EmulatorServer

FAULT_KINDS = ("http_429", "http_5xx", "slow", "truncated", "graphql_error", "expired_cursor",
               "page_changes")


@dataclass
class EmuRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    url: str = ""  # the full URL as the client sent it (for building next links)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class EmuResponse:
    status: int = 200
    body: Any = None  # JSON-able, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering ("slow" fault)

    def encode(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return b"" if self.body is None else json.dumps(self.body).encode()


class Faults:
    """Queued faults: ``inject("http_429", 3)`` makes the next three matching requests answer 429.

    ``path`` limits a fault to requests whose path contains that text. Thread-safe.
    """

    def __init__(self) -> None:
        self._queue: list[list[Any]] = []  # [kind, remaining, path, options]
        self._lock = threading.Lock()

    def inject(self, kind: str, count: int = 1, path: str | None = None, **options: Any) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._queue.append([kind, count, path, options])

    def take(self, kind: str, path: str) -> dict | None:
        """Consume one queued fault of ``kind`` that applies to ``path``; its options, or None."""
        with self._lock:
            for entry in self._queue:
                if entry[0] == kind and entry[1] > 0 and (entry[2] is None or entry[2] in path):
                    entry[1] -= 1
                    return entry[3]
        return None

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()


class SlidingWindowLimit:
    """Server-side limit: at most ``limit`` requests per ``window`` seconds per key."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self._clock = limit, window, clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> tuple[bool, int, float]:
        """Record a request; returns (allowed, remaining, seconds until the window frees a slot)."""
        with self._lock:
            now = self._clock()
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False, 0, hits[0] + self.window - now
            hits.append(now)
            return True, self.limit - len(hits), (hits[0] + self.window - now)


class TokenBucketLimit:
    """Server-side token bucket per key: ``rate`` tokens per second, at most ``capacity`` saved up."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float] = time.monotonic):
        self.rate, self.capacity, self._clock = rate, capacity, clock
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> tuple[bool, int, float]:
        with self._lock:
            now = self._clock()
            tokens, last = self._state.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._state[key] = (tokens, now)
                return False, 0, (1.0 - tokens) / self.rate
            self._state[key] = (tokens - 1.0, now)
            return True, int(tokens - 1.0), 0.0


class Emulator:
    """Base class: subclasses implement ``route``; this adds faults, timing and the request log."""

    name = "emulator"

    def __init__(self) -> None:
        self.faults = Faults()
        self.log: list[tuple[float, str, str, int]] = []  # (monotonic time, method, path, status)
        self._log_lock = threading.Lock()
        self.rate_limits_enabled = True

    # -- to implement -------------------------------------------------------------------------
    limit_description = "no limit"  # the API's documented limit, for benchmarks ("2 requests/s")
    limit_per_second: float | None = None  # the same as a number, when the limit is a request rate

    def route(self, request: EmuRequest) -> EmuResponse:  # pragma: no cover - abstract
        raise NotImplementedError

    def touch(self, tenant_id: str, object_name: str, count: int) -> list[str]:  # pragma: no cover
        """Change ``count`` records upstream (as a user editing them would); returns their ids."""
        raise NotImplementedError

    def delete(self, tenant_id: str, object_name: str, count: int) -> list[str]:  # pragma: no cover
        """Delete (or archive/soft-delete, as the API does) ``count`` records; returns their ids."""
        raise NotImplementedError

    def grow(self, tenant_id: str, object_name: str, count: int) -> list[str]:  # pragma: no cover
        """Add ``count`` synthetic records (copies of existing ones with new ids), for benchmarks."""
        raise NotImplementedError

    def fault_response(self, kind: str, request: EmuRequest, options: dict) -> EmuResponse:
        """The API's own answer for an injected 429 / 5xx (override for the exact body shape)."""
        if kind == "http_429":
            return EmuResponse(429, {"message": "Too Many Requests"}, {"Retry-After": "1"})
        return EmuResponse(options.get("status", 503), {"message": "Service Unavailable"})

    # -- the shared path ----------------------------------------------------------------------
    def handle(self, request: EmuRequest) -> EmuResponse:
        for kind in ("http_429", "http_5xx"):
            options = self.faults.take(kind, request.path)
            if options is not None:
                return self._logged(request, self.fault_response(kind, request, options))
        response = self.route(request)
        slow = self.faults.take("slow", request.path)
        if slow is not None:
            response.delay = float(slow.get("seconds", 5.0))
        if self.faults.take("truncated", request.path) is not None:
            encoded = response.encode()
            response.body = encoded[: max(1, len(encoded) // 2)]
        return self._logged(request, response)

    def _logged(self, request: EmuRequest, response: EmuResponse) -> EmuResponse:
        with self._log_lock:
            self.log.append((time.monotonic(), request.method, request.path, response.status))
        return response

    # -- serving ------------------------------------------------------------------------------
    def transport(self) -> httpx.MockTransport:
        """Serve in-process: the client's read timeout is honoured like a real socket would."""

        def handler(req: httpx.Request) -> httpx.Response:
            emu_req = EmuRequest(req.method, req.url.path, parse_qs(req.url.query.decode()),
                                 {k.lower(): v for k, v in req.headers.items()}, req.read(), str(req.url))
            resp = self.handle(emu_req)
            if resp.delay:
                read_timeout = (req.extensions.get("timeout") or {}).get("read")
                if read_timeout is not None and resp.delay >= read_timeout:
                    time.sleep(read_timeout)
                    raise httpx.ReadTimeout("emulated slow answer", request=req)
                time.sleep(resp.delay)
            return httpx.Response(resp.status, headers=_json_headers(resp), content=resp.encode())

        return httpx.MockTransport(handler)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> "EmulatorServer":
        """Serve over real HTTP in a background thread; ``.base_url`` tells where."""
        from crm_pipelines.sources._emulator_http import EmulatorServer

        return EmulatorServer(self, host, port)


def _json_headers(resp: EmuResponse) -> dict[str, str]:
    headers = dict(resp.headers)
    if not isinstance(resp.body, bytes) and resp.body is not None:
        headers.setdefault("Content-Type", "application/json")
    return headers
