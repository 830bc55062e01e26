"""A faithful fake of HERO's external GraphQL API (v7): the ``contacts`` query with offset paging.

One emulator serves every tenant (API key -> tenant). It parses each query, rejects unknown
fields and arguments with HTTP 200 and a GraphQL ``errors`` body ("Cannot query field ..."),
returns only the selected fields, keeps deleted contacts (``is_deleted``, shown because
``show_deleted`` defaults to true) and sends ``X-Complexity``. The request limit is UNCONFIRMED:
emulated as a configurable token bucket answering 429. Faults: the shared ones, ``graphql_error``
(an ``errors`` body with HTTP 200) and ``page_changes`` (a contact is created between two pages:
appended with the next id by default, or with a lower id with ``where="front"``).
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from typing import Any

from crm_pipelines.sources._emulator import EmuRequest, EmuResponse, Emulator, TokenBucketLimit
from crm_pipelines.sources import _graphql as gql

_SCALARS = ("id nr type title title_custom first_name last_name company_name company_legal_form email "
            "phone_home phone_mobile phone_fax url address_id reachability reachability_string source "
            "position user_id category category_name company_id created modified parent_customer_id "
            "is_deleted full_name phone_home_formatted phone_mobile_formatted is_invoice_recipient "
            "initial_name contact_match_id is_contact_person partner_notes birth_date").split()
SCHEMA = gql.Schema(
    types={
        "Query": {"contacts": "Customer", "project_matches": "ProjectMatch"},
        "Customer": {**dict.fromkeys(_SCALARS), "address": "Address", "customer_addresses": "CustomerAddress",
                     "user": "User", "parent_customer": "Customer", "contacts": "Customer",
                     "project_matches": "ProjectMatch"},
        "Address": {"id": None, "street": None, "zipcode": None, "city": None, "country": "Country"},
        "Country": {"id": None, "name": None},
        "CustomerAddress": {"id": None, "type": None, "address": "Address"},
        "User": {"id": None, "first_name": None, "last_name": None, "email": None},
        "ProjectMatch": {"id": None, "project_nr": None, "name": None, "created": None, "modified": None,
                         "is_deleted": None},
    },
    args={("Query", "contacts"): frozenset({"orderBy", "first", "last", "offset", "ids", "category", "search",
                                            "show_deleted"}),
          ("Query", "project_matches"): frozenset({"orderBy", "first", "last", "offset", "type", "ids",
                                                   "customer_id", "search", "statuses"})})
_SEARCHED = ("first_name", "last_name", "company_name", "email", "nr")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")


def _errors(message: str, status: int = 200, **extra: Any) -> EmuResponse:
    return EmuResponse(status, {"errors": [{"message": message, **extra}]})


class HeroEmulator(Emulator):
    name = "hero"
    limit_description = "UNCONFIRMED: emulated as 5 requests/s per API key (token bucket), 429 above"

    def __init__(self, accounts: dict[str, list[dict]], keys: dict[str, str], versions: tuple[str, ...] = ("v7",),
                 requests_per_second: float = 5.0, burst: int = 5, unauthorized_status: int = 401,
                 unauthorized_body: Any = None, max_first: int | None = None):
        """``accounts``: tenant -> contacts in the API's JSON shape (every Customer field it holds);
        ``keys``: API key -> tenant."""
        super().__init__()
        self.accounts = copy.deepcopy(accounts)
        self.keys = dict(keys)
        self.paths = {f"/api/external/{v}/graphql" for v in versions}
        self.limit = TokenBucketLimit(requests_per_second, burst)
        self.limit_per_second = requests_per_second
        self.unauthorized = (unauthorized_status, unauthorized_body or {"errors": [{"message": "Unauthorized"}]})
        self.max_first = max_first
        self._lock = threading.Lock()

    # -- upstream changes ---------------------------------------------------------------------
    def _live(self, tenant_id: str) -> list[dict]:
        return [c for c in self.accounts[tenant_id] if not c.get("is_deleted")]

    def touch(self, tenant_id: str, object_name: str, count: int) -> list[str]:
        """Edit ``count`` contacts (a new phone note in ``partner_notes``, ``modified`` moves)."""
        with self._lock:
            changed = self._live(tenant_id)[:count]
            for contact in changed:
                contact["modified"] = _now()
                contact["partner_notes"] = f"geändert {contact['modified']}"
            return [str(c["id"]) for c in changed]

    def delete(self, tenant_id: str, object_name: str, count: int) -> list[str]:
        """HERO deletes softly: the contact stays, with ``is_deleted: true``."""
        with self._lock:
            gone = self._live(tenant_id)[:count]
            for contact in gone:
                contact["is_deleted"], contact["modified"] = True, _now()
            return [str(c["id"]) for c in gone]

    def grow(self, tenant_id: str, object_name: str, count: int) -> list[str]:
        with self._lock:
            return [str(self._add(tenant_id, i)["id"]) for i in range(count)]

    def _add(self, tenant_id: str, i: int = 0, front: bool = False) -> dict:
        contacts = self.accounts[tenant_id]
        clone = copy.deepcopy(contacts[i % len(contacts)]) if contacts else {}
        ids = [c["id"] for c in contacts] or [1000]
        clone.update(id=min(ids) - 1 if front else max(ids) + 1, is_deleted=False, created=_now(), modified=_now())
        contacts.append(clone)
        return clone

    # -- the API ------------------------------------------------------------------------------
    def fault_response(self, kind: str, request: EmuRequest, options: dict) -> EmuResponse:
        if kind == "http_429":
            return EmuResponse(429, {"errors": [{"message": "Too Many Requests"}]}, {"Retry-After": "1"})
        status = options.get("status", 503)
        return EmuResponse(status, b"<html><body><h1>%d Service Unavailable</h1></body></html>" % status,
                           {"Content-Type": "text/html"})

    def route(self, request: EmuRequest) -> EmuResponse:
        if request.path not in self.paths:
            return EmuResponse(404, {"message": "Not Found"})
        auth = request.headers.get("authorization", "")
        tenant = self.keys.get(auth[7:]) if auth.startswith("Bearer ") else None
        if tenant is None:
            return EmuResponse(*self.unauthorized)
        if request.method != "POST":
            return EmuResponse(405, {"message": "Method Not Allowed"})
        if self.rate_limits_enabled and not self.limit.hit(auth)[0]:
            return EmuResponse(429, {"errors": [{"message": "Too Many Requests"}]}, {"Retry-After": "1"})
        fault = self.faults.take("graphql_error", request.path)
        if fault is not None:
            return EmuResponse(200, {"errors": [{"message": fault.get("message", "Internal server error"),
                                                 "extensions": {"category": "internal"}}], "data": None})
        try:
            body = request.json() or {}
            operation, selections = gql.parse(body.get("query", ""), body.get("variables"))
        except (ValueError, AttributeError) as exc:
            return _errors(str(exc) if isinstance(exc, gql.GraphQLSyntaxError) else "Syntax Error: invalid JSON body")
        if operation != "query":
            return _errors(f"Schema is not configured for {operation}s.")
        error = gql.validate(selections, "Query", SCHEMA)
        if error:
            return _errors(error, locations=[{"line": 1, "column": 1}])
        data, cost = {}, 1
        with self._lock:
            for sel in selections:
                if sel.name == "contacts":
                    rows = self._contacts(tenant, sel.args, request.path)
                    if isinstance(rows, EmuResponse):
                        return rows
                    data[sel.key] = gql.project(rows, sel.selections)
                    cost += len(rows) * gql.leaf_count(sel.selections)
                else:
                    data[sel.key] = []
        return EmuResponse(200, {"data": data}, {"X-Complexity": str(cost)})

    def _contacts(self, tenant: str, args: dict, path: str) -> list[dict] | EmuResponse:
        rows = self.accounts[tenant]
        if args.get("show_deleted", True) is False:
            rows = [c for c in rows if not c.get("is_deleted")]
        if args.get("ids") is not None:
            wanted = {int(i) for i in args["ids"]}
            rows = [c for c in rows if c["id"] in wanted]
        if args.get("category"):
            rows = [c for c in rows if c.get("category") == args["category"]]
        if args.get("search"):
            needle = str(args["search"]).lower()
            rows = [c for c in rows if any(needle in str(c.get(f) or "").lower() for f in _SEARCHED)]
        order = args.get("orderBy") or "id"
        if order.lstrip("-") not in _SCALARS:
            return _errors(f'Invalid orderBy "{order}".')
        rows = sorted(rows, key=lambda c: (c.get(order.lstrip("-")) is None, c.get(order.lstrip("-")) or 0),
                      reverse=order.startswith("-"))
        first, offset = args.get("first"), int(args.get("offset") or 0)
        size = int(first if first is not None else args.get("last") or 50)
        if size < 0 or offset < 0 or (self.max_first and size > self.max_first):
            return _errors(f"Argument first must be between 0 and {self.max_first or 'unbounded'}.")
        page = copy.deepcopy(rows[offset:offset + size])
        fault = self.faults.take("page_changes", path)
        if fault is not None:  # a colleague creates a contact while the client pages
            self._add(tenant, front=fault.get("where") == "front")
        return page
