"""A faithful fake of Cal.com API v2 for team event types.

Reproduces: ``GET /v2/teams/{teamId}/event-types`` (no paging; ``eventSlug``, ``hostsLimit``,
``sortCreatedAt``), the ``cal-api-version`` routing (2024-06-14 -> current shape; no header or a
legacy version -> legacy shape with ``length``; any other version -> 404 "Cannot GET ..."), the
404 "Event types not found" for an empty list, the global error envelope, and the throttler:
a fixed window per API key (or per IP without a key), 120 requests per 60 s, a block once
exceeded, ``X-RateLimit-{Limit,Remaining,Reset}-Default`` headers on every answer (Reset in
seconds) and 429 ``ThrottlerException``. The team endpoint has no auth guard in Cal.com (public
team data), so by default any or no key reads it; ``require_auth=True`` makes it check the key.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
import threading
import time
from collections.abc import Callable

from crm_pipelines.sources._emulator import EmuRequest, EmuResponse, Emulator

CURRENT_VERSION = "2024-06-14"
LEGACY_VERSIONS = frozenset({"2024-04-15", "2024-06-11"})
TEAM_EVENT_TYPES = re.compile(r"^/v2/teams/(\d+)/event-types/?$")
THROTTLED = "Too many requests. Please try again later."


def error_envelope(status: int, code: str, path: str, message: str, details: dict | None = None) -> EmuResponse:
    error: dict = {"code": code, "message": message}
    if details:
        error["details"] = details
    return EmuResponse(status, {"status": "error", "path": path, "error": error,
                                "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
                                .replace("+00:00", "Z")})


class FixedWindowLimit:
    """Cal.com's throttler: ``limit`` hits per fixed ``window`` per key; exceeding blocks for ``block`` s."""

    def __init__(self, limit: int, window: float, block: float | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.block, self._clock = limit, window, window if block is None else block, clock
        self._state: dict[str, list[float]] = {}  # key -> [window_start, count, blocked_until]
        self._lock = threading.Lock()

    def hit(self, key: str) -> tuple[bool, int, float]:
        """(allowed, remaining, seconds until the window or block ends)."""
        with self._lock:
            now = self._clock()
            state = self._state.setdefault(key, [now, 0, 0.0])
            if now < state[2]:
                return False, 0, state[2] - now
            if now >= state[0] + self.window:
                state[0], state[1] = now, 0
            if state[1] >= self.limit:
                state[2] = now + self.block
                return False, 0, self.block
            state[1] += 1
            return True, self.limit - int(state[1]), state[0] + self.window - now


class CalcomEmulator(Emulator):
    name = "calcom"

    def __init__(self, teams: dict[int, list[dict]], keys: dict[str, str], tenant_teams: dict[str, list[int]],
                 requests_per_window: int = 120, window_seconds: float = 60.0, block_seconds: float | None = None,
                 require_auth: bool = False, empty_as_404: bool = True):
        """``teams``: team id -> event types (TeamEventTypeOutput); ``keys``: API key -> tenant;
        ``tenant_teams``: tenant -> its team ids (for ``touch``/``delete``/``grow``)."""
        super().__init__()
        self.teams = copy.deepcopy(teams)
        self.keys, self.tenant_teams = dict(keys), {t: list(ids) for t, ids in tenant_teams.items()}
        self.limit = FixedWindowLimit(requests_per_window, window_seconds, block_seconds)
        self.require_auth, self.empty_as_404 = require_auth, empty_as_404
        self.limit_description = (f"{requests_per_window} requests per {window_seconds:g} s per API key "
                                  "(fixed window, blocked for the window once exceeded)")
        self.limit_per_second = requests_per_window / window_seconds
        self._lock = threading.Lock()

    # -- upstream changes ---------------------------------------------------------------------
    def _tenant_types(self, tenant_id: str, object_name: str) -> list[dict]:
        if object_name != "event_types":
            raise ValueError(f"calcom has no object {object_name!r}")
        return [e for team in self.tenant_teams.get(tenant_id, []) for e in self.teams.get(team, [])]

    def touch(self, tenant_id: str, object_name: str, count: int) -> list[str]:
        """Lengthen ``count`` event types by 15 minutes and re-word their description."""
        with self._lock:
            changed = self._tenant_types(tenant_id, object_name)[:count]
            for event_type in changed:
                event_type["lengthInMinutes"] = int(event_type.get("lengthInMinutes") or 0) + 15
                event_type["description"] = f"{event_type['title']} ({event_type['lengthInMinutes']} Minuten)"
            return [str(e["id"]) for e in changed]

    def delete(self, tenant_id: str, object_name: str, count: int) -> list[str]:
        """Event types are hard-deleted in Cal.com: they vanish from the team's list."""
        with self._lock:
            doomed = {e["id"] for e in self._tenant_types(tenant_id, object_name)[:count]}
            for team in self.tenant_teams.get(tenant_id, []):
                self.teams[team] = [e for e in self.teams.get(team, []) if e["id"] not in doomed]
            return [str(i) for i in sorted(doomed)]

    def grow(self, tenant_id: str, object_name: str, count: int) -> list[str]:
        with self._lock:
            existing = self._tenant_types(tenant_id, object_name)
            if not existing:
                return []
            next_id = max(e["id"] for types in self.teams.values() for e in types) + 1
            added = []
            for i in range(count):
                clone = copy.deepcopy(existing[i % len(existing)])
                clone["id"], clone["slug"] = next_id + i, f"{clone['slug']}-{next_id + i}"
                self.teams.setdefault(clone["teamId"], []).append(clone)
                added.append(str(clone["id"]))
            return added

    # -- the API ------------------------------------------------------------------------------
    def _limit_headers(self, remaining: int, reset: float) -> dict[str, str]:
        return {"X-RateLimit-Limit-Default": str(self.limit.limit),
                "X-RateLimit-Remaining-Default": str(max(0, remaining)),
                "X-RateLimit-Reset-Default": str(max(0, math.ceil(reset)))}

    def fault_response(self, kind: str, request: EmuRequest, options: dict) -> EmuResponse:
        if kind == "http_429":
            response = error_envelope(429, "ThrottlerException", request.path, THROTTLED)
            response.headers = self._limit_headers(0, float(options.get("reset", 1)))
            return response
        status = options.get("status", 500)
        code = {502: "BadGatewayException", 503: "ServiceUnavailableException",
                504: "GatewayTimeoutException"}.get(status, "InternalServerErrorException")
        return error_envelope(status, code, request.path, "Internal server error")

    def route(self, request: EmuRequest) -> EmuResponse:
        auth = request.headers.get("authorization", "")
        key = auth[7:] if auth.startswith("Bearer ") else ""
        headers: dict[str, str] = {}
        if self.rate_limits_enabled:
            allowed, remaining, reset = self.limit.hit(f"key:{key}" if key else "ip:127.0.0.1")
            headers = self._limit_headers(remaining, reset)
            if not allowed:
                response = error_envelope(429, "ThrottlerException", request.path, THROTTLED)
                response.headers = headers
                return response
        response = self._answer(request, key)
        response.headers.update(headers)
        return response

    def _answer(self, request: EmuRequest, key: str) -> EmuResponse:
        cannot = error_envelope(404, "NotFoundException", request.path, f"Cannot {request.method} {request.path}")
        match = TEAM_EVENT_TYPES.match(request.path)
        version = request.headers.get("cal-api-version")
        if not match or request.method != "GET" or (version and version != CURRENT_VERSION
                                                    and version not in LEGACY_VERSIONS):
            return cannot
        if self.require_auth and key not in self.keys:
            return error_envelope(401, "UnauthorizedException", request.path,
                                  "ApiAuthStrategy - api key - Invalid API Key" if key else "No API key")
        with self._lock:
            items = copy.deepcopy(self.teams.get(int(match.group(1)), []))
        slug = request.arg("eventSlug")
        if slug:
            items = [e for e in items if e.get("slug") == slug]
        items.sort(key=lambda e: e["id"], reverse=request.arg("sortCreatedAt") == "desc")
        hosts_limit = request.arg("hostsLimit")
        if hosts_limit and hosts_limit.isdigit():
            for item in items:
                item["hosts"] = item.get("hosts", [])[: int(hosts_limit)]
        if version != CURRENT_VERSION:  # the legacy controller's shape
            for item in items:
                item["length"] = item.pop("lengthInMinutes", None)
                item.pop("lengthInMinutesOptions", None)
        if not items and self.empty_as_404:
            return error_envelope(404, "NotFoundException", request.path, "Event types not found")
        return EmuResponse(200, {"status": "success", "data": items})
