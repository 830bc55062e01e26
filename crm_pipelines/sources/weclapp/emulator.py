"""A faithful fake of weclapp REST v2: party, task and user lists, count, get by id, load management.

One emulator serves every tenant; the ``AuthenticationToken`` header says whose data a request
reads. Paths work with and without the ``/webapp/api/v2`` prefix. Load management as weclapp
documents it: a per-tenant concurrency limit; a request above it waits in a queue (up to
``queue_seconds``, or the client's ``X-Weclapp-Wait-Timeout-Ms``), then gets 429 with
``X-Weclapp-Wait-Ms`` and ``X-Weclapp-Wait-Reason``. ``latency`` holds each request's slot for
that long, so concurrency is observable in tests. Deletions are hard deletes: they vanish.
"""

from __future__ import annotations

import copy
import threading
import time

from crm_pipelines.sources._emulator import EmuRequest, EmuResponse, Emulator
from crm_pipelines.sources.weclapp.query import Problem, apply_filters, select, sort_records

PREFIX = "/webapp/api/v2"
OBJECT_ENTITIES = {"contacts": "party", "tasks": "task", "users": "user"}
FIELDS = {
    "party": "id version createdDate lastModifiedDate partyType company company2 salutation titleId firstName "
             "middleName lastName birthDate email emailHome phone phoneHome mobilePhone1 mobilePhone2 fax website "
             "customer customerNumber customerBlocked supplier supplierNumber parentPartyId primaryContactId "
             "primaryAddressId invoiceAddressId deliveryAddressId vatIdentificationNumber tags onlineAccounts "
             "addresses customAttributes",
    "task": "id version createdDate lastModifiedDate subject description identifier taskStatus taskPriority "
            "taskVisibilityType customerId assignees watchers creatorUserId dateFrom dateTo plannedEffort "
            "parentTaskId previousTaskId positionNumber articleId ticketId calendarEventId billableStatus "
            "allowTimeBooking allowOverBooking taskLists taskTopics taskTypes entityReferences",
    "user": "id version createdDate lastModifiedDate firstName lastName email username status title "
            "phoneNumber mobilePhoneNumber userRoles",
}
ENTITY_FIELDS = {entity: set(names.split()) for entity, names in FIELDS.items()}


def _problem(status: int, kind: str, title: str, detail: str, instance: str,
             headers: dict[str, str] | None = None) -> EmuResponse:
    return EmuResponse(status, Problem(status, kind, title, detail).body(instance), headers or {})


class WeclappEmulator(Emulator):
    name = "weclapp"
    limit_description = "per-tenant concurrency limit; requests above it queue, then 429 (no fixed rate)"
    limit_per_second = None

    def __init__(self, accounts: dict[str, dict[str, list[dict]]], tokens: dict[str, str], *,
                 concurrency: int = 4, queue_seconds: float = 30.0, wait_hint_ms: int = 1000,
                 latency: float = 0.0, max_page_size: int = 1000, default_page_size: int = 100):
        """``accounts``: tenant -> {"party"|"task"|"user": [records with every field]};
        ``tokens``: API token -> tenant."""
        super().__init__()
        self.accounts = copy.deepcopy(accounts)
        self.tokens = dict(tokens)
        self.concurrency, self.queue_seconds, self.wait_hint_ms = concurrency, queue_seconds, wait_hint_ms
        self.latency, self.max_page_size, self.default_page_size = latency, max_page_size, default_page_size
        self._slots = {t: threading.BoundedSemaphore(concurrency) for t in self.accounts}
        self._in_flight = {t: 0 for t in self.accounts}
        self.max_in_flight = {t: 0 for t in self.accounts}
        self._lock = threading.RLock()

    # -- upstream changes ---------------------------------------------------------------------
    def _stamp(self, tenant: str) -> int:
        """Now in epoch ms, never before an existing record (the demo data may be dated ahead)."""
        latest = max((r.get("lastModifiedDate") or 0 for recs in self.accounts[tenant].values() for r in recs),
                     default=0)
        return max(int(time.time() * 1000), latest + 1)

    def _records(self, tenant: str, object_name: str) -> list[dict]:
        return self.accounts[tenant][OBJECT_ENTITIES.get(object_name, object_name)]

    def touch(self, tenant_id: str, object_name: str, count: int) -> list[str]:
        with self._lock:
            changed = sorted(self._records(tenant_id, object_name), key=lambda r: int(r["id"]))[:count]
            for record in changed:
                record["version"] = str(int(record.get("version") or 0) + 1)
                record["lastModifiedDate"] = self._stamp(tenant_id)
                if "tags" in record or "phone" in record:
                    record["tags"] = [f"geändert-{record['version']}"]
                else:
                    record["description"] = f"geändert {record['version']}"
            return [r["id"] for r in changed]

    def delete(self, tenant_id: str, object_name: str, count: int) -> list[str]:
        with self._lock:
            records = self._records(tenant_id, object_name)
            gone = {r["id"] for r in sorted(records, key=lambda r: int(r["id"]))[:count]}
            records[:] = [r for r in records if r["id"] not in gone]
            return sorted(gone, key=int)

    def grow(self, tenant_id: str, object_name: str, count: int) -> list[str]:
        with self._lock:
            records = self._records(tenant_id, object_name)
            next_id = max((int(r["id"]) for r in records), default=1000) + 1
            added = []
            for i in range(count):
                clone = copy.deepcopy(records[i % len(records)])
                clone.update(id=str(next_id + i), version="0", createdDate=self._stamp(tenant_id),
                             lastModifiedDate=self._stamp(tenant_id))
                records.append(clone)
                added.append(clone["id"])
            return added

    # -- the API ------------------------------------------------------------------------------
    def fault_response(self, kind: str, request: EmuRequest, options: dict) -> EmuResponse:
        if kind == "http_429":
            return _problem(429, "too_many_requests", "Too Many Requests", "the system is under heavy load",
                            request.path, {"X-Weclapp-Wait-Ms": str(options.get("wait_ms", self.wait_hint_ms)),
                                           "X-Weclapp-Wait-Reason": "load"})
        status = options.get("status", 503)
        return _problem(status, "persistence" if status == 500 else "service_unavailable", "Service Unavailable",
                        "the service is temporarily unavailable", request.path)

    def route(self, request: EmuRequest) -> EmuResponse:
        tenant = self.tokens.get(request.headers.get("authenticationtoken", ""))
        if tenant is None:
            return _problem(401, "unauthorized", "Unauthorized", "invalid or missing AuthenticationToken",
                            request.path)
        if not self.rate_limits_enabled:
            return self._answer(tenant, request)
        queue = self.queue_seconds
        if request.headers.get("x-weclapp-wait-timeout-ms", "").isdigit():
            queue = min(queue, int(request.headers["x-weclapp-wait-timeout-ms"]) / 1000)
        slot = self._slots[tenant]
        if not slot.acquire(timeout=queue):
            return _problem(429, "too_many_requests", "Too Many Requests",
                            f"too many concurrent requests (limit {self.concurrency})", request.path,
                            {"X-Weclapp-Wait-Ms": str(self.wait_hint_ms), "X-Weclapp-Wait-Reason": "concurrency"})
        try:
            with self._lock:
                self._in_flight[tenant] += 1
                self.max_in_flight[tenant] = max(self.max_in_flight[tenant], self._in_flight[tenant])
            if self.latency:
                time.sleep(self.latency)
            return self._answer(tenant, request)
        finally:
            with self._lock:
                self._in_flight[tenant] -= 1
            slot.release()

    def _answer(self, tenant: str, request: EmuRequest) -> EmuResponse:
        path = request.path[len(PREFIX):] if request.path.startswith(PREFIX) else request.path
        parts = [p for p in path.split("/") if p]
        if request.method != "GET":
            return _problem(405, "method_not_allowed", "Method Not Allowed", "only reads are emulated", path)
        if not parts or parts[0] not in ENTITY_FIELDS:
            return _problem(404, "not_found", "Not Found", f"unknown endpoint {path}", path)
        entity, fields = parts[0], ENTITY_FIELDS[parts[0]]
        try:
            with self._lock:
                if len(parts) == 3 and parts[1] == "id":
                    found = next((r for r in self.accounts[tenant][entity] if r["id"] == parts[2]), None)
                    if found is None:
                        return _problem(404, "not_found", "Not Found", f"{entity} with id {parts[2]} not found",
                                        path)
                    return EmuResponse(200, select(copy.deepcopy(found), None, fields,
                                                   request.arg("serializeNulls") == "true"))
                if len(parts) == 2 and parts[1] == "count":
                    return EmuResponse(200, {"result": len(apply_filters(self.accounts[tenant][entity],
                                                                         request.query, fields))})
                if len(parts) == 1:
                    return self._list(tenant, entity, fields, request)
        except Problem as problem:
            return EmuResponse(problem.status, problem.body(path))
        return _problem(404, "not_found", "Not Found", f"unknown endpoint {path}", path)

    def _list(self, tenant: str, entity: str, fields: set[str], request: EmuRequest) -> EmuResponse:
        try:
            page = int(request.arg("page", "1"))
            size = int(request.arg("pageSize", str(self.default_page_size)))
        except ValueError:
            raise Problem(400, "validation", "validation error", "page and pageSize must be integers",
                          "page") from None
        if page < 1 or not 1 <= size <= self.max_page_size:
            raise Problem(400, "validation", "validation error",
                          f"page must be >= 1 and pageSize between 1 and {self.max_page_size}", "pageSize")
        records = self.accounts[tenant][entity]
        change = self.faults.take("page_changes", request.path)
        if change is not None:
            self._change_between_pages(tenant, entity, change.get("mode", "touch"))
        items = sort_records(apply_filters(records, request.query, fields), request.arg("sort"), fields)
        serialize = request.arg("serializeNulls") == "true"
        chunk = items[(page - 1) * size: page * size]
        return EmuResponse(200, {"result": [select(copy.deepcopy(r), request.arg("properties"), fields, serialize)
                                            for r in chunk]})

    def _change_between_pages(self, tenant: str, entity: str, mode: str) -> None:
        """A user edits, deletes or adds a record while the client is paging."""
        oldest = min(self.accounts[tenant][entity], key=lambda r: (r.get("lastModifiedDate") or 0, int(r["id"])))
        if mode == "delete":
            self.accounts[tenant][entity].remove(oldest)
        elif mode == "insert":
            self.grow(tenant, entity, 1)
        else:
            oldest["lastModifiedDate"] = self._stamp(tenant)
            oldest["version"] = str(int(oldest.get("version") or 0) + 1)
