"""A faithful fake of the Lexware Office API: contacts, voucherlist, auth, 2 requests/s, both error formats.

One emulator serves every tenant; the API key says which tenant's account a request reads, as a
real key belongs to one Lexware organization. Besides the shared faults (``Faults``), it can
change records upstream (``touch_contacts``, ``touch_vouchers``) so incremental runs can be tested.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import threading
import uuid

from crm_pipelines.sources._emulator import EmuRequest, EmuResponse, Emulator, TokenBucketLimit

VOUCHER_TYPES = {"salesinvoice", "salescreditnote", "purchaseinvoice", "purchasecreditnote", "invoice",
                 "downpaymentinvoice", "creditnote", "orderconfirmation", "quotation", "deliverynote"}
VOUCHER_STATUSES = {"draft", "open", "paid", "paidoff", "voided", "transferred", "sepadebit", "overdue",
                    "accepted", "rejected", "unchecked"}
TOTAL_ELEMENTS_CAP = 10_000


def _regular_error(status: int, error: str, path: str, message: str, details: list | None = None) -> EmuResponse:
    return EmuResponse(status, {"timestamp": dt.datetime.now(dt.timezone.utc).isoformat(), "status": status,
                                "error": error, "path": path, "traceId": uuid.uuid4().hex[:12],
                                "message": message, "details": details or []})


def _legacy_error(status: int, key: str, source: str) -> EmuResponse:
    return EmuResponse(status, {"IssueList": [{"i18nKey": key, "source": source, "type": "validation_failure",
                                               "additionalData": None, "args": None}]})


def _sort_name(contact: dict) -> str:
    if contact.get("company"):
        return (contact["company"].get("name") or "").lower()
    person = contact.get("person") or {}
    return f"{person.get('lastName') or ''} {person.get('firstName') or ''}".lower()


class LexwareEmulator(Emulator):
    name = "lexware"
    limit_description = "2 requests/s per API key (token bucket)"

    def __init__(self, accounts: dict[str, dict[str, list[dict]]], keys: dict[str, str],
                 requests_per_second: float = 2.0, burst: int = 2):
        """``accounts``: tenant -> {"contacts": [...], "vouchers": [...]} in the API's JSON shape;
        ``keys``: API key -> tenant."""
        super().__init__()
        self.accounts = copy.deepcopy(accounts)
        self.keys = dict(keys)
        self.limit = TokenBucketLimit(requests_per_second, burst)  # Lexware: a token bucket, 2/s
        self.limit_per_second = requests_per_second
        self._lock = threading.Lock()

    # -- upstream changes, for tests ----------------------------------------------------------
    def touch_contacts(self, tenant: str, count: int) -> list[str]:
        """Edit ``count`` contacts (note and version change), as a user in Lexware would."""
        with self._lock:
            changed = self.accounts[tenant]["contacts"][:count]
            for contact in changed:
                contact["version"] = int(contact.get("version") or 0) + 1
                contact["note"] = f"geändert {contact['version']}"
            return [c["id"] for c in changed]

    def add_contact(self, tenant: str, contact: dict) -> None:
        with self._lock:
            self.accounts[tenant]["contacts"].append(copy.deepcopy(contact))

    def archive_contact(self, tenant: str, contact_id: str) -> None:
        """Lexware has no DELETE: a removed contact is archived."""
        with self._lock:
            for contact in self.accounts[tenant]["contacts"]:
                if contact["id"] == contact_id:
                    contact["archived"] = True
                    contact["version"] = int(contact.get("version") or 0) + 1

    def touch_vouchers(self, tenant: str, count: int, when: dt.datetime | None = None) -> list[str]:
        """Mark ``count`` vouchers as paid now (their ``updatedDate`` moves to ``when``)."""
        stamp = (when or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="milliseconds")
        with self._lock:
            changed = self.accounts[tenant]["vouchers"][:count]
            for voucher in changed:
                voucher["voucherStatus"] = "paid"
                voucher["openAmount"] = 0.0
                voucher["updatedDate"] = stamp
            return [v["id"] for v in changed]

    def touch(self, tenant_id: str, object_name: str, count: int) -> list[str]:
        if object_name == "vouchers":
            return self.touch_vouchers(tenant_id, count)
        return self.touch_contacts(tenant_id, count)

    def delete(self, tenant_id: str, object_name: str, count: int) -> list[str]:
        if object_name != "contacts":
            raise ValueError("Lexware vouchers are voided, not deleted")
        ids = [c["id"] for c in self.accounts[tenant_id]["contacts"] if not c.get("archived")][:count]
        for contact_id in ids:
            self.archive_contact(tenant_id, contact_id)
        return ids

    def grow(self, tenant_id: str, object_name: str, count: int) -> list[str]:
        with self._lock:
            records = self.accounts[tenant_id][object_name]
            added = []
            for i in range(count):
                clone = copy.deepcopy(records[i % len(records)])
                clone["id"] = str(uuid.uuid4())
                records.append(clone)
                added.append(clone["id"])
            return added

    # -- the API ------------------------------------------------------------------------------
    def fault_response(self, kind: str, request: EmuRequest, options: dict) -> EmuResponse:
        if kind == "http_429":
            return EmuResponse(429, {"message": "Too Many Requests"})
        return _regular_error(options.get("status", 503), "Service Unavailable", request.path,
                              "The service is temporarily unavailable.")

    def route(self, request: EmuRequest) -> EmuResponse:
        auth = request.headers.get("authorization", "")
        tenant = self.keys.get(auth[7:]) if auth.startswith("Bearer ") else None
        if tenant is None:
            return EmuResponse(401, {"message": "Unauthorized"})
        if self.rate_limits_enabled and not self.limit.hit(auth)[0]:
            return EmuResponse(429, {"message": "Too Many Requests"})
        if request.method != "GET":
            return _regular_error(405, "Method Not Allowed", request.path, "Only reads are emulated.")
        with self._lock:
            account = self.accounts[tenant]
            if request.path == "/v1/contacts":
                return self._contacts(request, account["contacts"])
            if request.path.startswith("/v1/contacts/"):
                wanted = request.path.rsplit("/", 1)[1]
                found = next((c for c in account["contacts"] if c["id"] == wanted), None)
                return EmuResponse(200, copy.deepcopy(found)) if found else _legacy_error(
                    404, "not_found", "id")
            if request.path == "/v1/voucherlist":
                return self._voucherlist(request, account["vouchers"])
        return _regular_error(404, "Not Found", request.path, "No such resource.")

    def _page_args(self, request: EmuRequest, legacy: bool) -> tuple[int, int] | EmuResponse:
        try:
            page, size = int(request.arg("page", "0")), int(request.arg("size", "25"))
        except ValueError:
            return _legacy_error(400, "invalid_value", "page") if legacy else _regular_error(
                400, "Bad Request", request.path, "page and size must be integers")
        if page < 0 or not 1 <= size <= 250:
            return _legacy_error(400, "invalid_value", "size") if legacy else _regular_error(
                400, "Bad Request", request.path, "size must be between 1 and 250")
        return page, size

    def _contacts(self, request: EmuRequest, contacts: list[dict]) -> EmuResponse:
        args = self._page_args(request, legacy=True)
        if isinstance(args, EmuResponse):
            return args
        items = sorted(contacts, key=_sort_name)
        for field in ("email", "name"):
            value = request.arg(field)
            if value is not None and len(value) < 3:
                return _legacy_error(400, "invalid_value", field)
            if value:
                items = [c for c in items if value.lower() in str(c).lower()]
        if request.arg("customer") is not None:
            wanted = request.arg("customer") == "true"
            items = [c for c in items if ("customer" in (c.get("roles") or {})) == wanted]
        if request.arg("vendor") is not None:
            wanted = request.arg("vendor") == "true"
            items = [c for c in items if ("vendor" in (c.get("roles") or {})) == wanted]
        if self.faults.take("page_changes", request.path) is not None:
            self._insert_front_contact(contacts)
        return EmuResponse(200, _page(items, *args, sort_property="name", sort_direction="ASC"))

    def _insert_front_contact(self, contacts: list[dict]) -> None:
        """A record appears between two page requests and shifts every later page by one."""
        contacts.append({"id": str(uuid.uuid4()), "version": 0, "roles": {"customer": {}},
                         "person": {"salutation": "Herr", "firstName": "Anton", "lastName": "Aaberg"},
                         "archived": False})

    def _voucherlist(self, request: EmuRequest, vouchers: list[dict]) -> EmuResponse:
        types, statuses = request.arg("voucherType"), request.arg("voucherStatus")
        missing = [name for name, value in (("voucherType", types), ("voucherStatus", statuses)) if not value]
        if missing:
            return _regular_error(400, "Bad Request", request.path, "Validation failed for request.",
                                  [{"violation": "NOTNULL", "field": f, "message": "darf nicht leer sein"}
                                   for f in missing])
        type_set, status_set = set(types.split(",")), set(statuses.split(","))
        if "overdue" in status_set and len(status_set) > 1:
            return _regular_error(400, "Bad Request", request.path,
                                  "voucherStatus 'overdue' cannot be combined with other statuses.")
        unknown = (type_set - VOUCHER_TYPES - {"any"}) | (status_set - VOUCHER_STATUSES - {"any"})
        if unknown:
            return _regular_error(400, "Bad Request", request.path, f"unknown value(s): {sorted(unknown)}")
        args = self._page_args(request, legacy=False)
        if isinstance(args, EmuResponse):
            return args
        items = [v for v in vouchers
                 if ("any" in type_set or v["voucherType"] in type_set)
                 and ("any" in status_set or v["voucherStatus"] in status_set)]
        for param, field, op in (("updatedDateFrom", "updatedDate", "ge"), ("updatedDateTo", "updatedDate", "le"),
                                 ("voucherDateFrom", "voucherDate", "ge"), ("voucherDateTo", "voucherDate", "le"),
                                 ("createdDateFrom", "createdDate", "ge"), ("createdDateTo", "createdDate", "le")):
            value = request.arg(param)
            if value:
                items = [v for v in items if (str(v.get(field))[:10] >= value if op == "ge"
                                              else str(v.get(field))[:10] <= value)]
        if request.arg("contactId"):
            items = [v for v in items if v.get("contactId") == request.arg("contactId")]
        prop, _, direction = (request.arg("sort") or "voucherDate,DESC").partition(",")
        key = {"voucherdate": "voucherDate", "vouchernumber": "voucherNumber", "createddate": "createdDate",
               "updateddate": "updatedDate"}.get(prop.lower(), "voucherDate")
        items = sorted(items, key=lambda v: (str(v.get(key) or ""), v["id"]),
                       reverse=direction.upper() != "ASC")
        return EmuResponse(200, _page(items, *args, sort_property=key,
                                      sort_direction=direction.upper() or "DESC"))


def _page(items: list[dict], page: int, size: int, sort_property: str, sort_direction: str) -> dict:
    total = min(len(items), TOTAL_ELEMENTS_CAP)
    content = copy.deepcopy(items[page * size:(page + 1) * size]) if page * size < total else []
    total_pages = math.ceil(total / size) if total else 0
    return {"content": content, "first": page == 0, "last": page >= total_pages - 1,
            "totalPages": total_pages, "totalElements": total, "numberOfElements": len(content),
            "size": size, "number": page,
            "sort": [{"property": sort_property, "direction": sort_direction, "ignoreCase": False,
                      "nullHandling": "NATIVE", "ascending": sort_direction == "ASC"}]}
