"""monday.com GraphQL API v2 client: contacts from the configured boards, read incrementally.

Per board: ``boards(ids) { items_page(limit, query_params) }``, then ``next_items_page(cursor)``.
The first run reads every board in full (``complete=True``). Later runs list only items updated
since the board's cursor (the ``__last_updated__`` rule of the official SDK, minus
``overlap_seconds``). Deleted and archived items never show in such a listing, so every
``id_scan_every`` runs an id-only scan of each board (cheap: one field per item, 500 per page)
is diffed with the ids the cursor knows; candidates are confirmed with ``items(ids)`` (a shifted
page must not delete a live item) and arrive as ``deleted_ids``; the scan also gives
``present_ids``. Trade-off: the cursor stores each board's item ids (about 11 bytes per item),
and a scan costs one request per 500 items; with ``id_scan_every: 0`` deletions wait for a full
re-read (drop the cursor). An expired cursor restarts that board's scan; limit errors are waited
out; after each page the client sleeps complexity/budget x 60 s as the official SDK does.
"""

from __future__ import annotations

import datetime as dt
import logging

from crm_pipelines.sources._http import HttpClient, RetryPolicy, TokenBucket, linked_pages, sleep_and_clock
from crm_pipelines.sources.base import ConnectContext, FetchResult
from crm_pipelines.sources.monday.errors import CursorExpired, make_inspect, monday_error_detail, wait_hint
from crm_pipelines.sources.monday.options import MondayBoard, MondayOptions

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.monday.com"
ITEM_FIELDS = ("id name state created_at updated_at group { id title } board { id } "
               "column_values { id type text value ... on EmailValue { email } "
               "... on PhoneValue { phone country_short_name } }")
COMPLEXITY = "complexity { before after query reset_in_x_seconds } "
FIRST = ("query ($board: [ID!], $limit: Int, $params: ItemsQuery) { %s"
         "boards(ids: $board) { items_page(limit: $limit, query_params: $params) { cursor items { %s } } } }")
NEXT = ("query ($cursor: String!, $limit: Int) { %s"
        "next_items_page(limit: $limit, cursor: $cursor) { cursor items { %s } } }")
CONFIRM = "query ($ids: [ID!]) { items(ids: $ids, limit: 100) { id state board { id } } }"
PROBE = ("query ($board: [ID!], $params: ItemsQuery) { %s"
         "boards(ids: $board) { items_page(limit: 1, query_params: $params) { items { id } } } }")
_FIRST_PAGE = ""


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _api_root(base_url: str) -> str:
    """Accept the documented endpoint (``https://api.monday.com/v2``) as well as the host."""
    base = base_url.rstrip("/")
    return base[:-3] if base.endswith("/v2") else base


def _parse(stamp: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


class MondayConnector:
    """Fetches ``contacts`` (items of the configured boards) for one tenant."""

    def __init__(self, ctx: ConnectContext):
        self.options: MondayOptions = ctx.options
        self.sleep, clock = sleep_and_clock(ctx.sleep)
        sleep = self.sleep
        token = ctx.credentials["api_token"]
        self.endpoint = "POST /v2 contacts"
        self.http = HttpClient(
            source="monday", tenant_id=ctx.tenant_id, base_url=_api_root(ctx.base_url or DEFAULT_BASE_URL),
            headers={"Authorization": token if self.options.auth_scheme == "raw" else f"Bearer {token}",
                     "API-Version": self.options.api_version, "Content-Type": "application/json"},
            transport=ctx.transport, timeout=self.options.timeout_seconds,
            rate_limiter=TokenBucket(self.options.requests_per_second, capacity=1.0, clock=clock, sleep=sleep),
            retry=RetryPolicy(max_attempts=self.options.max_attempts, base_delay=1.0),
            sleep=sleep, error_detail=monday_error_detail,
            wait_hint=lambda r, b: None if (h := wait_hint(r, b)) is None else min(h, self.options.max_wait_seconds))
        self.http.inspect = make_inspect(self.http, lambda: self.endpoint, self.options.max_wait_seconds)
        self.restarts = 0

    def close(self) -> None:
        self.http.close()

    # -- GraphQL ------------------------------------------------------------------------------
    def _post(self, endpoint: str, query: str, variables: dict) -> dict:
        self.endpoint = endpoint
        body = self.http.request_json("POST", "/v2", endpoint=endpoint, json={"query": query, "variables": variables})
        complexity = body["data"].get("complexity") or {}
        if self.options.pace_after_page and complexity.get("query"):
            self.sleep(complexity["query"] / self.options.pace_budget_per_minute * 60.0)
        return body["data"]

    def _scan(self, board: MondayBoard, fields: str, limit: int, params: dict | None, what: str) -> list[dict]:
        """Every item of one board listing; an expired cursor restarts the listing."""
        extra = COMPLEXITY if self.options.request_complexity else ""
        endpoint = f"POST /v2 {what} board {board.board_id}"

        def page(cursor: str) -> tuple[list, str | None, None]:
            if cursor == _FIRST_PAGE:
                data = self._post(endpoint, FIRST % (extra, fields),
                                  {"board": [board.board_id], "limit": limit, "params": params})
                if not data.get("boards"):
                    raise self.http.error(endpoint, 200, f"board {board.board_id} not found or not accessible")
                found = data["boards"][0]["items_page"]
            else:
                found = self._post(endpoint, NEXT % (extra, fields), {"cursor": cursor, "limit": limit})["next_items_page"]
            return found["items"], found.get("cursor"), None

        for attempt in range(self.options.cursor_restarts + 1):
            try:
                return [item for items, _ in linked_pages(page, _FIRST_PAGE) for item in items]
            except CursorExpired as exc:
                if attempt >= self.options.cursor_restarts:
                    raise
                self.restarts += 1
                log.warning("monday %s: %s; restarting the board scan", endpoint, exc.detail)
        raise AssertionError("unreachable")

    def _confirm_gone(self, candidates: dict[str, str]) -> set[str]:
        """Of the ids an id scan missed (id -> board), those really gone from their board: deleted,
        archived or moved away. A page shifted by a deletion during the scan can skip a live item."""
        alive: set[str] = set()
        ordered = sorted(candidates)
        for start in range(0, len(ordered), 100):
            data = self._post("POST /v2 items (deletion check)", CONFIRM, {"ids": ordered[start:start + 100]})
            alive |= {str(i["id"]) for i in data.get("items") or [] if i.get("state") == "active"
                      and str((i.get("board") or {}).get("id")) == candidates.get(str(i["id"]))}
        return set(candidates) - alive

    # -- change probe -------------------------------------------------------------------------
    def probe_changes(self, since: str | None) -> tuple[int, str]:
        """For the change sensor: the number of configured boards with at least one item updated at or
        after ``since`` (ISO UTC), one ``items_page(limit: 1)`` of ids per board. The next token is the
        probe's start, whole seconds (as ``updated_at``), taken before asking: nothing slips between two
        probes; an edit in that very second may be reported twice. Deleted items are not seen."""
        token = _iso(dt.datetime.now(dt.timezone.utc))
        if since is None:
            return 0, token
        params = {"rules": [{"column_id": "__last_updated__", "compare_value": ["EXACT", _iso(_parse(since))],
                             "operator": "greater_than_or_equals", "compare_attribute": "UPDATED_AT"}]}
        query = PROBE % (COMPLEXITY if self.options.request_complexity else "")
        changed = 0
        for board in self.options.boards:
            endpoint = f"POST /v2 change probe board {board.board_id}"
            data = self._post(endpoint, query, {"board": [board.board_id], "params": params})
            if not data.get("boards"):
                raise self.http.error(endpoint, 200, f"board {board.board_id} not found or not accessible")
            changed += bool(data["boards"][0]["items_page"]["items"])
        return changed, token

    # -- fetch --------------------------------------------------------------------------------
    def fetch(self, object_name: str, cursor: dict | None) -> FetchResult:
        if object_name != "contacts":
            raise KeyError(f"monday has no object {object_name!r}")
        state = cursor or {}
        boards_state: dict[str, dict] = state.get("boards") or {}
        scan_due = bool(cursor) and self.options.id_scan_every > 0 and \
            int(state.get("runs_since_scan", 0)) + 1 >= self.options.id_scan_every
        records: dict[str, dict] = {}
        known: dict[str, set[str]] = {}
        present: set[str] = set()
        missing: dict[str, str] = {}  # id -> board: known, but not in the board's id scan
        complete, all_present = True, True
        new_state: dict[str, dict] = {}
        for board in self.options.boards:
            previous = boards_state.get(board.board_id)
            params = None
            if previous and previous.get("since"):
                complete = False
                bound = _iso(_parse(previous["since"]) - dt.timedelta(seconds=self.options.overlap_seconds))
                params = {"rules": [{"column_id": "__last_updated__", "compare_value": ["EXACT", bound],
                                     "operator": "greater_than_or_equals", "compare_attribute": "UPDATED_AT"}]}
            items = self._scan(board, ITEM_FIELDS, self.options.page_size, params, "items_page")
            crm = {"board_id": board.board_id, "role": board.role, "columns": dict(board.columns),
                   "item_name": board.item_name}
            for item in items:
                records[str(item["id"])] = {**item, "_crm": crm}
            listed = {str(i["id"]) for i in items}
            ids = set(map(str, (previous or {}).get("ids") or [])) | listed
            if params is None:  # a full listing: exactly the live items
                ids = listed
                present |= listed
            elif scan_due:
                scanned = {str(i["id"]) for i in self._scan(board, "id", self.options.id_scan_page_size, None, "id scan")}
                missing.update(dict.fromkeys(ids - scanned - listed, board.board_id))
                ids = scanned | listed
                present |= ids
            else:
                all_present = False
            known[board.board_id] = ids
            stamps = [str(i["updated_at"]) for i in items if i.get("updated_at")]
            stamps += [previous["since"]] if (previous or {}).get("since") else []
            latest = max(stamps, key=_parse, default=None)
            new_state[board.board_id] = {"since": latest, "ids": sorted(ids, key=lambda s: (len(s), s))}
        candidates = {i: b for i, b in missing.items() if i not in records}
        gone = self._confirm_gone(candidates) if candidates else set()
        present |= set(missing) - gone
        for item_id, board_id in missing.items():
            if item_id not in gone and item_id not in records:
                known[board_id].add(item_id)  # skipped by a shifted page, still on its board
        for board_id, ids in known.items():
            new_state[board_id]["ids"] = sorted(ids - gone, key=lambda s: (len(s), s))
        scanned_now = scan_due or not cursor
        new_cursor = {"boards": new_state,
                      "runs_since_scan": 0 if scanned_now else int(state.get("runs_since_scan", 0)) + 1}
        return FetchResult(records=list(records.values()), complete=complete, deleted_ids=sorted(gone),
                           cursor=new_cursor, requests=self.http.requests,
                           present_ids=sorted(present) if not complete and all_present else None)
