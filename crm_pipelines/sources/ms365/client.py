"""Microsoft Graph client for Outlook contacts of several mailboxes (app-only, delta per folder).

Each configured folder (the default ``contacts`` folder plus subfolder ids, per mailbox) runs a
delta round: the first is the full set, later ones start at the stored ``@odata.deltaLink``.
Links are followed exactly as given. The cursor is ``{"<upn>/<folder>": deltaLink}``.

Resync: when any folder answers 410 Gone (``syncStateNotFound``/``resyncRequired``, any casing),
or a folder was dropped from the options, every folder runs a full round and the result is
``complete=True``, so the warehouse finds the deletions by diff. This costs one full read in the
rare resync case, but needs no per-folder id list in the cursor and cannot miss a deletion.

Folders and mailboxes run in a thread pool; a per-mailbox semaphore keeps at most
``max_concurrent_per_mailbox`` requests in flight (Outlook: 4) and a per-mailbox token bucket
paces requests under the 10,000 per 10 minutes budget. 429/503/504 honour ``Retry-After``, or
back off exponentially when it is missing. A 401 ``InvalidAuthenticationToken`` refreshes the
token once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

from pydantic import Field

from crm_pipelines.sources._http import HttpClient, RetryPolicy, SourceError, TokenBucket, linked_pages
from crm_pipelines.sources.base import ConnectContext, FetchResult, SourceOptions
from crm_pipelines.sources.ms365.auth import DEFAULT_TOKEN_URL, GRAPH_SCOPE, TokenProvider, graph_error_detail
from crm_pipelines.sources.ms365.probe import probe_changes

DEFAULT_BASE_URL = "https://graph.microsoft.com"
RESYNC_CODES = ("syncstatenotfound", "resyncrequired", "syncstateinvalid")


class Ms365Options(SourceOptions):
    mailboxes: list[str] = Field(default_factory=list, description="mailbox UPNs whose contacts are read")
    subfolders: dict[str, list[str]] = Field(default_factory=dict, description="UPN -> contact subfolder ids")
    include_default_folder: bool = Field(True, description="read each mailbox's default Contacts folder")
    page_size: int = Field(100, ge=1, le=1000, description="Prefer: odata.maxpagesize (max UNCONFIRMED, ~200)")
    graph_version: str = Field("v1.0")
    scope: str = Field(GRAPH_SCOPE)
    max_concurrent_per_mailbox: int = Field(4, ge=1, le=16, description="Outlook allows 4 per app and mailbox")
    max_workers: int = Field(8, ge=1, le=64, description="threads across all folders and mailboxes")
    requests_per_second_per_mailbox: float = Field(15.0, gt=0, description="budget 10,000 per 10 minutes")
    burst_per_mailbox: float = Field(4.0, ge=1)
    token_refresh_margin_seconds: float = Field(60.0, ge=0, description="renew this long before expires_in")
    timeout_seconds: float = Field(30.0, gt=0)
    max_attempts: int = Field(6, ge=1)
    backoff_base_seconds: float = Field(1.0, gt=0, description="first backoff when Retry-After is missing")


class _Resync(Exception):
    """A folder's delta state is gone (410): a full round is needed."""


class _Mailbox:
    def __init__(self, http: HttpClient, slots: int):
        self.http, self.slots = http, threading.Semaphore(slots)


class Ms365Connector:
    """Fetches ``contacts`` of every configured mailbox and folder for one tenant."""

    def __init__(self, ctx: ConnectContext):
        self.options: Ms365Options = ctx.options
        self.tenant_id = ctx.tenant_id
        sleep = ctx.sleep or time.sleep
        retry = RetryPolicy(max_attempts=self.options.max_attempts, base_delay=self.options.backoff_base_seconds)

        def client(rate: TokenBucket | None = None) -> HttpClient:
            return HttpClient(source="ms365", tenant_id=ctx.tenant_id, base_url=ctx.base_url or DEFAULT_BASE_URL,
                              headers={"Accept": "application/json"}, transport=ctx.transport,
                              timeout=self.options.timeout_seconds, rate_limiter=rate, retry=retry, sleep=sleep,
                              error_detail=graph_error_detail)

        self._token_http = client()
        self.tokens = TokenProvider(self._token_http, ctx.extra_urls.get("token_url", DEFAULT_TOKEN_URL),
                                    dict(ctx.credentials), scope=self.options.scope,
                                    margin_seconds=self.options.token_refresh_margin_seconds)
        # the buckets pace against the real clock, so they sleep for real even when ``ctx.sleep`` is faked
        self.boxes = {upn.lower(): _Mailbox(client(TokenBucket(self.options.requests_per_second_per_mailbox,
                                                               self.options.burst_per_mailbox)),
                                            self.options.max_concurrent_per_mailbox)
                      for upn in self.options.mailboxes}

    @property
    def requests(self) -> int:
        return self._token_http.requests + sum(b.http.requests for b in self.boxes.values())

    def close(self) -> None:
        for http in [self._token_http, *(b.http for b in self.boxes.values())]:
            http.close()

    def folders(self) -> list[tuple[str, str]]:
        default = ["contacts"] if self.options.include_default_folder else []
        return [(upn, folder) for upn in self.options.mailboxes
                for folder in default + list(self.options.subfolders.get(upn, []))]

    # -- requests -----------------------------------------------------------------------------
    def get(self, upn: str, url: str, endpoint: str) -> Any:
        box = self.boxes[upn.lower()]
        headers = {"Prefer": f"odata.maxpagesize={self.options.page_size}"}
        for attempt in (1, 2):
            token = self.tokens.token()
            try:
                with box.slots:
                    return box.http.request_json("GET", url, endpoint=endpoint, ok_statuses=(200,),
                                                 headers={**headers, "Authorization": f"Bearer {token}"})
            except SourceError as exc:
                detail = (exc.detail or "").lower()
                if exc.status == 401 and "invalidauthenticationtoken" in detail and attempt == 1:
                    self.tokens.invalidate(token)
                    continue
                if exc.status == 410 and any(code in detail for code in RESYNC_CODES):
                    raise _Resync(endpoint) from None
                raise
        raise AssertionError("unreachable")

    def delta_round(self, upn: str, folder: str, link: str | None) -> tuple[list[dict], list[str], str]:
        """One folder's round: (changed contacts, removed ids, the new deltaLink)."""
        endpoint = f"GET /users/{upn}/contactFolders/{folder}/contacts/delta"
        first = link or f"/{self.options.graph_version}/users/{quote(upn)}/contactFolders/{quote(folder)}/contacts/delta"

        def fetch(url: str) -> tuple[list, str | None, str | None]:
            body = self.get(upn, url, endpoint)
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                raise self.boxes[upn.lower()].http.error(endpoint, 200, "malformed page: no 'value' list")
            return body["value"], body.get("@odata.nextLink"), body.get("@odata.deltaLink")

        records: dict[str, dict] = {}
        removed: set[str] = set()
        delta_link = None
        for items, new_link in linked_pages(fetch, first):
            for item in items:
                if not isinstance(item, dict) or not item.get("id"):
                    raise self.boxes[upn.lower()].http.error(endpoint, 200, "malformed page: an item without 'id'")
                if "@removed" in item:
                    removed.add(str(item["id"]))
                    records.pop(str(item["id"]), None)
                else:
                    records[str(item["id"])] = {**item, "_mailbox": upn, "_folder": folder}
                    removed.discard(str(item["id"]))
            delta_link = new_link or delta_link
        if delta_link is None:
            raise self.boxes[upn.lower()].http.error(endpoint, 200, "delta round ended without @odata.deltaLink")
        return list(records.values()), sorted(removed), delta_link

    def _rounds(self, links: dict[str, str], round_fn: Callable[[str, str, str | None], Any] | None = None
                ) -> dict[str, Any]:
        """``round_fn(upn, folder, link)`` (default ``delta_round``) for every folder, in the pool."""
        folders, round_fn = self.folders(), round_fn or self.delta_round
        with ThreadPoolExecutor(max_workers=min(self.options.max_workers, max(1, len(folders)))) as pool:
            futures = {f"{upn}/{folder}": pool.submit(round_fn, upn, folder, links.get(f"{upn}/{folder}"))
                       for upn, folder in folders}
        errors = [f.exception() for f in futures.values() if f.exception() is not None]
        if any(isinstance(e, _Resync) for e in errors):
            raise _Resync()
        if errors:
            raise errors[0]
        return {key: f.result() for key, f in futures.items()}

    def probe_changes(self, since: str | None) -> tuple[int, str]:
        """For the change sensor: contacts changed or removed since ``since`` (see ``probe.py``)."""
        return probe_changes(self, since)

    def fetch(self, object_name: str, cursor: dict | None) -> FetchResult:
        if object_name != "contacts":
            raise KeyError(f"ms365 has no object {object_name!r}")
        if not self.options.mailboxes:
            raise SourceError("ms365", self.tenant_id, "contacts", None, "no mailboxes configured (option mailboxes)")
        links = {k: v for k, v in (cursor or {}).items() if isinstance(v, str)}
        keys = {f"{upn}/{folder}" for upn, folder in self.folders()}
        full = not links or not set(links) <= keys
        rounds = None
        if not full:
            try:
                rounds = self._rounds(links)
            except _Resync:
                full = True
        if rounds is None:
            try:
                rounds = self._rounds({})
            except _Resync as exc:
                raise SourceError("ms365", self.tenant_id, str(exc) or "contacts delta", 410,
                                  "delta state expired during a full round") from None
        records = [r for recs, _, _ in rounds.values() for r in recs]
        deleted = sorted({i for _, removed, _ in rounds.values() for i in removed} - {r["id"] for r in records})
        return FetchResult(records=records, complete=full, deleted_ids=[] if full else deleted,
                           cursor={key: link for key, (_, _, link) in rounds.items()}, requests=self.requests)
