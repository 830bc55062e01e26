"""A faithful fake of Microsoft Graph (Outlook contacts, app-only) and its token endpoint.

Serves ``POST /{tenant}/oauth2/v2.0/token`` (client credentials; AADSTS errors) and
``GET /v1.0/users/{upn}/contactFolders/{folder}/contacts/delta`` (rounds of nextLinks with
``$skiptoken`` ending in a deltaLink with ``$deltatoken``; ``@removed`` tombstones; 410 Gone
``syncStateNotFound`` for expired state), plus plain ``/contacts`` lists with ``$top``/``$skip``
and ``/contactFolders``. Outlook limits per app and mailbox: 4 concurrent requests (429
``ApplicationThrottled`` MailboxConcurrency) and a request budget (10,000 per 10 minutes).
``Retry-After`` can be left out, as Graph sometimes does. ``latency`` holds each request in flight.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
import uuid
from urllib.parse import quote, unquote

from crm_pipelines.sources._emulator import EmuRequest, EmuResponse, Emulator, SlidingWindowLimit
from crm_pipelines.sources.ms365.mailstore import DEFAULT_FOLDER, MailStore, decode_token, encode_token


def graph_error(status: int, code: str, message: str, headers: dict | None = None) -> EmuResponse:
    inner = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
             "request-id": str(uuid.uuid4()), "client-request-id": str(uuid.uuid4())}
    return EmuResponse(status, {"error": {"code": code, "message": message, "innerError": inner}}, headers or {})


def aad_error(status: int, error: str, code: int, text: str) -> EmuResponse:
    return EmuResponse(status, {"error": error, "error_description": f"AADSTS{code}: {text}\r\nTrace ID: "
                                f"{uuid.uuid4()}", "error_codes": [code], "trace_id": str(uuid.uuid4())})


class Ms365Emulator(Emulator):
    name = "ms365"
    limit_description = "per app and mailbox: 4 concurrent requests, 10,000 requests per 10 minutes"
    limit_per_second = None

    def __init__(self, mailboxes: dict[str, dict[str, dict[str, list[dict]]]],
                 apps: dict[str, tuple[str, str, str]], *, concurrency: int = 4, budget: int = 10_000,
                 budget_window: float = 600.0, token_lifetime: int = 3599, send_retry_after: bool = True,
                 default_page_size: int = 10, max_page_size: int = 1000, latency: float = 0.0):
        """``mailboxes``: tenant -> upn -> folder name (``contacts`` = default) -> Graph contacts;
        ``apps``: Azure AD tenant id -> (tenant, client_id, client_secret)."""
        super().__init__()
        self.store = MailStore(mailboxes)
        self.apps = dict(apps)
        self.concurrency, self.token_lifetime, self.send_retry_after = concurrency, token_lifetime, send_retry_after
        self.default_page_size, self.max_page_size, self.latency = default_page_size, max_page_size, latency
        self.budget = SlidingWindowLimit(budget, budget_window)
        self.tokens: dict[str, tuple[str, str, float]] = {}  # access token -> (tenant, client_id, expiry)
        self.in_flight: dict[tuple[str, str], int] = {}
        self.max_in_flight: dict[str, int] = {}  # upn -> the most requests seen in flight at once
        self.requested_urls: list[str] = []
        self.reject_tokens = False  # every access token is refused (persistent 401)
        self._lock = threading.Lock()

    # -- generic mutations --------------------------------------------------------------------
    def touch(self, tenant_id: str, object_name: str, count: int) -> list[str]:
        return self.store.touch(tenant_id, count)

    def delete(self, tenant_id: str, object_name: str, count: int) -> list[str]:
        return self.store.delete(tenant_id, count)

    def grow(self, tenant_id: str, object_name: str, count: int) -> list[str]:
        return self.store.grow(tenant_id, count)

    def revoke_tokens(self) -> None:
        """Every issued access token becomes invalid (as after a key rollover)."""
        with self._lock:
            self.tokens.clear()

    def expire_delta_tokens(self) -> None:
        """Every delta and skip token becomes invalid (410 Gone on its next use)."""
        self.store.generation += 1

    def _retry_after(self, seconds: float) -> dict[str, str]:
        return {"Retry-After": str(max(1, round(seconds)))} if self.send_retry_after else {}

    def fault_response(self, kind: str, request: EmuRequest, options: dict) -> EmuResponse:
        headers = {} if options.get("omit_retry_after") else self._retry_after(options.get("retry_after", 1))
        if kind == "http_429":
            return graph_error(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.",
                               headers)
        status = options.get("status", 503)
        return graph_error(status, "serviceNotAvailable" if status == 503 else "UnknownError",
                           "The service is temporarily unavailable.", headers)

    # -- routing ------------------------------------------------------------------------------
    def route(self, request: EmuRequest) -> EmuResponse:
        parts = [unquote(p) for p in request.path.split("/") if p]
        if request.method == "POST" and parts[1:] == ["oauth2", "v2.0", "token"]:
            return self._token(parts[0], request.form())
        auth = request.headers.get("authorization", "")
        grant = self.tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if grant is None or grant[2] < time.monotonic() or self.reject_tokens:
            return graph_error(401, "InvalidAuthenticationToken",
                               "Access token has expired or is not yet valid." if grant else
                               "IDX14100: JWT is not well formed, there are no dots (.).")
        tenant, client_id, _ = grant
        if len(parts) < 4 or parts[:2] != ["v1.0", "users"] or request.method != "GET":
            return graph_error(400, "BadRequest", f"Resource not found for the segment '{'/'.join(parts[2:3])}'.")
        upn = parts[2]
        if upn.lower() not in self.store.folders.get(tenant, {}):
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        key = (client_id, upn.lower())
        if self.rate_limits_enabled:
            allowed, _, wait = self.budget.hit("|".join(key))
            if not allowed:
                return graph_error(429, "ApplicationThrottled", "Application is over its MailboxRequestLimit.",
                                   self._retry_after(wait))
        with self._lock:
            self.in_flight[key] = self.in_flight.get(key, 0) + 1
            busy = self.in_flight[key]
            self.max_in_flight[upn.lower()] = max(self.max_in_flight.get(upn.lower(), 0), busy)
        try:
            if self.rate_limits_enabled and busy > self.concurrency:
                return graph_error(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.",
                                   self._retry_after(1))
            if self.latency:
                time.sleep(self.latency)
            self.requested_urls.append(request.url)
            return self._mailbox(tenant, upn, parts[3:], request)
        finally:
            with self._lock:
                self.in_flight[key] -= 1

    def _token(self, azure_tenant: str, form: dict[str, str]) -> EmuResponse:
        app = self.apps.get(azure_tenant)
        if app is None:
            return aad_error(400, "invalid_request", 90002, f"Tenant '{azure_tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return aad_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        tenant, client_id, secret = app
        if form.get("client_id") != client_id:
            return aad_error(400, "unauthorized_client", 700016,
                             f"Application with identifier '{form.get('client_id')}' was not found in the directory.")
        if form.get("client_secret") != secret:
            return aad_error(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret "
                             "being sent in the request is the client secret value, not the client secret ID.")
        if form.get("scope") != "https://graph.microsoft.com/.default":
            return aad_error(400, "invalid_scope", 1002012, "The provided value for scope is not valid.")
        token = "eyJ0eXAiOiJKV1Qi." + secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = (tenant, client_id, time.monotonic() + self.token_lifetime)
        return EmuResponse(200, {"token_type": "Bearer", "expires_in": self.token_lifetime,
                                 "ext_expires_in": self.token_lifetime, "access_token": token})

    def _mailbox(self, tenant: str, upn: str, rest: list[str], request: EmuRequest) -> EmuResponse:
        if rest == ["contactFolders"]:
            box = self.store.folders[tenant][upn.lower()]
            return EmuResponse(200, {"value": [{"id": fid, "displayName": "Contacts" if fid ==
                                                self.store.default.get((tenant, upn.lower())) else "Ordner",
                                                "parentFolderId": "AAMkADroot"} for fid in box]})
        if rest == ["contacts"]:
            return self._list(tenant, upn, DEFAULT_FOLDER, request)
        if len(rest) in (3, 4) and rest[0] == "contactFolders" and rest[2] == "contacts":
            if len(rest) == 3:
                return self._list(tenant, upn, rest[1], request)
            if rest[3] == "delta":
                return self._delta(tenant, upn, rest[1], request)
        return graph_error(400, "BadRequest", "Unsupported segment in the request URL.")

    def _origin(self, request: EmuRequest) -> str:
        return request.url.split("/v1.0/", 1)[0]

    def _list(self, tenant: str, upn: str, folder: str, request: EmuRequest) -> EmuResponse:
        found = self.store.resolve(tenant, upn, folder)
        if found is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        top, skip = int(request.arg("$top", str(self.default_page_size))), int(request.arg("$skip", "0"))
        items = sorted(found[1].values(), key=lambda c: c["id"])
        body: dict = {"@odata.context": f"{self._origin(request)}/v1.0/$metadata#users('{quote(upn)}')/contacts",
                      "value": [{k: v for k, v in c.items() if k != "_seq"} for c in items[skip:skip + top]]}
        if skip + top < len(items):
            body["@odata.nextLink"] = f"{request.url.split('?')[0]}?$top={top}&$skip={skip + top}"
        return EmuResponse(200, body)

    def _delta(self, tenant: str, upn: str, folder: str, request: EmuRequest) -> EmuResponse:
        found = self.store.resolve(tenant, upn, folder)
        if found is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        fid = found[0]
        skip, delta = request.arg("$skiptoken"), request.arg("$deltatoken")
        token = skip or delta
        state = decode_token(token) if token else {"s": 0, "u": self.store.seq}
        if token and (state is None or state.get("g") != self.store.generation or state.get("f") != fid):
            return graph_error(410, "syncStateNotFound", "The sync state generation is invalid or expired.")
        if delta:
            expired = self.faults.take("expired_cursor", request.path)
            if expired is not None:
                return graph_error(410, expired.get("code", "syncStateNotFound"),
                                   "The sync state generation is invalid or expired.")
            state = {"s": state["u"], "u": self.store.seq}
        if skip and self.faults.take("page_changes", request.path) is not None:
            self.store.touch(tenant, 1)  # a contact is edited between two pages of the round
        prefer = request.headers.get("prefer", "")
        size = self.default_page_size
        if "odata.maxpagesize=" in prefer:
            size = max(1, min(self.max_page_size, int(prefer.split("odata.maxpagesize=")[1].split(",")[0])))
        state = {**state, "f": fid, "g": self.store.generation}
        items, following = self.store.delta_page(tenant, upn, fid, state, size)
        base = f"{self._origin(request)}/v1.0/users/{upn}/contactFolders/{folder}/contacts/delta"
        body: dict = {"@odata.context": f"{self._origin(request)}/v1.0/$metadata#Collection(contact)", "value": items}
        if following is not None:
            body["@odata.nextLink"] = f"{base}?$skiptoken={encode_token(following)}"
        else:
            body["@odata.deltaLink"] = f"{base}?$deltatoken={encode_token({**state, 'k': ''})}"
        return EmuResponse(200, body, {"Preference-Applied": f"odata.maxpagesize={size}"})
