"""A faithful fake of monday.com's GraphQL API v2: boards, items_page, next_items_page, items.

One emulator serves every tenant (token -> account; ``Authorization`` raw or ``Bearer``). Queries
are parsed and validated (unknown fields fail with HTTP 200 and ``errors``); results hold only the
selected fields. Limits: a per-token complexity budget per window (default 10,000,000 per 60 s,
cost grows with ``limit`` and the fields asked for), a per-query maximum, ``RateLimit-Policy`` /
``RateLimit`` headers on every answer and ``Retry-After`` on limit errors; the budget error comes
in the style chosen by ``budget_error_style``: ``current`` (HTTP 200, ``retry_in_seconds``),
``current_429`` (HTTP 429, 2024 extensions) or ``legacy`` (``ComplexityException``, "reset in N
seconds"). Cursors live ``cursor_ttl`` seconds; new items go on top of a board, so offsets shift
between pages as on the real service. Faults: the shared ones (``http_429`` answers with a budget
error, option ``style``), ``graphql_error``, ``expired_cursor`` and ``page_changes`` (an item is
created on top of the board before the next page is served).
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
from crm_pipelines.sources import _graphql as gql
from crm_pipelines.sources.monday.emu_resolve import resolve
from crm_pipelines.sources.monday.emu_schema import SCHEMA, GraphQLError, parse_time

_VERSION = re.compile(r"^\d{4}-(01|04|07|10)$")


def _err(error: GraphQLError, status: int = 200, headers: dict | None = None) -> EmuResponse:
    extensions = {"code": error.code, **error.extensions}
    return EmuResponse(status, {"errors": [{"message": error.message, "extensions": extensions}],
                                "account_id": 1}, headers or {})


class MondayEmulator(Emulator):
    name = "monday"
    limit_per_second = None  # the limit is a complexity budget, not a request rate

    def __init__(self, accounts: dict[str, dict[str, dict]], tokens: dict[str, str], *,
                 budget: int = 10_000_000, budget_window: float = 60.0, max_query_complexity: int = 5_000_000,
                 budget_error_style: str = "current", cursor_ttl: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic):
        """``accounts``: tenant -> board id -> {"id", "name", "columns": [{"id","title","type"}],
        "items": [{"id","name","created_at","updated_at","state","group","position","values"}]}."""
        super().__init__()
        self.accounts = copy.deepcopy(accounts)
        self.tokens = dict(tokens)
        self.budget, self.window, self.max_query = budget, budget_window, max_query_complexity
        self.budget_error_style, self.cursor_ttl, self.clock = budget_error_style, cursor_ttl, clock
        self.limit_description = f"complexity budget {budget:,} points per {budget_window:g} s per token"
        self.cursors: dict[str, dict] = {}
        self.usage: dict[str, list[float]] = {}  # token -> [window start, points used]
        self.versions_seen: list[str | None] = []
        self.charges: list[tuple[float, int]] = []  # (clock time, complexity) per answered query
        self.budget_errors = 0
        self._lock = threading.RLock()
        stamps = [i["updated_at"] for b in self.accounts.values() for bd in b.values() for i in bd["items"]]
        self._last_stamp = max((parse_time(s) for s in stamps), default=dt.datetime.now(dt.timezone.utc))

    # -- upstream changes ---------------------------------------------------------------------
    def _stamp(self) -> str:
        now = max(dt.datetime.now(dt.timezone.utc).replace(microsecond=0), self._last_stamp + dt.timedelta(seconds=1))
        self._last_stamp = now
        return now.strftime("%Y-%m-%dT%H:%M:%SZ")

    def _active(self, tenant_id: str) -> list[dict]:
        return [i for board in self.accounts[tenant_id].values() for i in board["items"] if i["state"] == "active"]

    def touch(self, tenant_id: str, object_name: str, count: int) -> list[str]:
        """Edit ``count`` items (a user renames them slightly); ``updated_at`` moves forward."""
        with self._lock:
            changed = self._active(tenant_id)[:count]
            for item in changed:
                item["name"], item["updated_at"] = item["name"].rstrip() + " ", self._stamp()
            return [i["id"] for i in changed]

    def delete(self, tenant_id: str, object_name: str, count: int, state: str = "deleted") -> list[str]:
        """Delete (or, with ``state="archived"``, archive) ``count`` items: they leave every listing."""
        with self._lock:
            gone = self._active(tenant_id)[:count]
            for item in gone:
                item["state"], item["updated_at"] = state, self._stamp()
            return [i["id"] for i in gone]

    def grow(self, tenant_id: str, object_name: str, count: int) -> list[str]:
        with self._lock:
            boards = list(self.accounts[tenant_id].values())
            return [self.add_item(tenant_id, boards[n % len(boards)]["id"])["id"] for n in range(count)]

    def add_item(self, tenant_id: str, board_id: str, name: str | None = None) -> dict:
        """A new item on top of the board (as monday adds them), a copy of an existing one."""
        with self._lock:
            board = self.accounts[tenant_id][board_id]
            ids = [int(i["id"]) for b in self.accounts[tenant_id].values() for i in b["items"]] or [1_900_000_000]
            template = board["items"][0] if board["items"] else {"name": "Neu", "values": {}, "group": None}
            stamp = self._stamp()
            item = {**copy.deepcopy(template), "id": str(max(ids) + 1), "state": "active", "created_at": stamp,
                    "updated_at": stamp, "position": min((i["position"] for i in board["items"]), default=0) - 1}
            item["name"] = name or template["name"]
            board["items"].append(item)
            return item

    # -- limits -------------------------------------------------------------------------------
    def _charge(self, token: str, cost: int) -> tuple[bool, dict]:
        now = self.clock()
        start, used = self.usage.get(token, [now, 0.0])
        if now - start >= self.window:
            start, used = now, 0.0
        reset = max(1, math.ceil(start + self.window - now))
        ok = not self.rate_limits_enabled or used + cost <= self.budget
        after = used + cost if ok else used
        self.usage[token] = [start, after]
        return ok, {"before": int(self.budget - used), "after": int(self.budget - after), "query": cost,
                    "reset_in_x_seconds": reset}

    def _headers(self, token: str) -> dict[str, str]:
        start, used = self.usage.get(token, [self.clock(), 0.0])
        reset = max(0, math.ceil(start + self.window - self.clock()))
        return {"RateLimit-Policy": f'"complexity";q={self.budget};w={self.window:g}',
                "RateLimit": f'"complexity";r={max(0, int(self.budget - used))};t={reset}'}

    def budget_error(self, seconds: int, cost: int, left: int, style: str | None = None) -> EmuResponse:
        style = style or self.budget_error_style
        headers = {"Retry-After": str(seconds)}
        if style == "legacy":
            return EmuResponse(429, {"error_code": "ComplexityException", "status_code": 429, "error_data": {},
                                     "error_message": f"Complexity budget exhausted, query cost {cost} budget "
                                                      f"remaining {left} out of {self.budget} reset in {seconds} seconds"})
        if style == "rate":
            return _err(GraphQLError("Rate limit exceeded", "RATE_LIMIT_EXCEEDED", retry_in_seconds=seconds), 429, headers)
        extra = {} if style == "current" else {"complexity": cost, "complexity_budget_left": left,
                                               "complexity_budget_limit": self.budget, "status_code": 429}
        return _err(GraphQLError("Complexity budget exhausted", "COMPLEXITY_BUDGET_EXHAUSTED",
                                 retry_in_seconds=seconds, **extra), 200 if style == "current" else 429, headers)

    def fault_response(self, kind: str, request: EmuRequest, options: dict) -> EmuResponse:
        if kind == "http_429":
            return self.budget_error(int(options.get("seconds", 2)), 1000, 0, options.get("style", "current_429"))
        status = options.get("status", 500)
        return EmuResponse(status, {"error_message": "Internal server error", "status_code": status})

    # -- the API ------------------------------------------------------------------------------
    def route(self, request: EmuRequest) -> EmuResponse:
        if request.path != "/v2":
            return EmuResponse(404, {"error_message": "Not Found", "status_code": 404})
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else auth
        tenant = self.tokens.get(token)
        if tenant is None:
            return _err(GraphQLError("Not Authenticated", "UNAUTHENTICATED", status_code=401), 401)
        version = request.headers.get("api-version")
        self.versions_seen.append(version)
        if version is not None and not _VERSION.match(version):
            return _err(GraphQLError(f"Invalid API version {version!r}", "INVALID_VERSION", status_code=400), 400)
        if request.method != "POST":
            return EmuResponse(405, {"error_message": "Method Not Allowed", "status_code": 405})
        with self._lock:
            response = self._execute(request, tenant, token)
            response.headers.update(self._headers(token))
            return response

    def _execute(self, request: EmuRequest, tenant: str, token: str) -> EmuResponse:
        fault = self.faults.take("graphql_error", request.path)
        if fault is not None:
            return _err(GraphQLError(fault.get("message", "Internal server error"),
                                     fault.get("code", "INTERNAL_SERVER_ERROR")))
        try:
            body = request.json() or {}
            operation, selections = gql.parse(body.get("query", ""), body.get("variables"))
        except (ValueError, AttributeError) as exc:
            return _err(GraphQLError(str(exc), "GRAPHQL_PARSE_FAILED"))
        error = gql.validate(selections, "Query", SCHEMA) or (
            None if operation == "query" else f"{operation} is not supported by the emulator")
        if error:
            return _err(GraphQLError(error, "GRAPHQL_VALIDATION_FAILED"))
        cost = _cost(selections)
        if cost > self.max_query:
            return _err(GraphQLError(f"Query has complexity of {cost}, which exceeds max complexity of "
                                     f"{self.max_query}", "maxComplexityExceeded", complexity=cost,
                                     maxComplexity=self.max_query))
        ok, complexity = self._charge(token, cost)
        if not ok:
            self.budget_errors += 1
            return self.budget_error(complexity["reset_in_x_seconds"], cost, complexity["before"])
        self.charges.append((self.clock(), cost))
        try:
            data = resolve(self, tenant, selections, complexity, request.path)
        except GraphQLError as exc:
            return _err(exc)
        return EmuResponse(200, {"data": data, "account_id": 1})


def _cost(selections: list, root: bool = True) -> int:
    """10 points per query plus, per items page, ``limit`` x (1 + fields per item, column values x 10)."""
    total = 10 if root else 0
    for sel in selections:
        if not isinstance(sel, gql.Field):
            continue
        if sel.name in ("items_page", "next_items_page") or (root and sel.name == "items"):
            items = sel if sel.name == "items" else gql.find(sel.selections, "items")
            per_item = 1
            for field in (items.selections if items else []):
                subtree = gql.leaf_count(field.selections) if field.selections else 1
                per_item += subtree * (10 if getattr(field, "name", "") == "column_values" else 1)
            limit = sel.args.get("limit") or (len(sel.args.get("ids") or []) if sel.name == "items" else 25)
            total += int(limit) * per_item
        elif sel.selections:
            total += _cost(sel.selections, root=False)
    return total
