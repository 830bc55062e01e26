"""Resolve a parsed monday.com query against one account: boards, items pages, cursors, items.

Cursors are kept server-side (token -> board, filter, offset, creation time). A cursor lives
``cursor_ttl`` seconds from the first page of its scan; an expired one answers the
``CursorExpiredError`` error the official SDK knows. Offsets are into the board's current order,
so an item created on top of the board between two pages repeats one item on the next page.
"""

from __future__ import annotations

import secrets
from typing import Any

from crm_pipelines.sources import _graphql as gql
from crm_pipelines.sources.monday.emu_schema import FRAGMENT_TYPES, GraphQLError, listing, render_item

MAX_LIMIT = 500
EXPIRED = ("CursorExpiredError: The cursor provided for pagination has expired. Please refresh your query "
           "and obtain a new cursor to continue fetching items")


def _type_of(value: dict) -> str:
    return FRAGMENT_TYPES.get(value.get("type", ""), "ColumnValue")


def _ids(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _limit(args: dict, default: int = 25) -> int:
    limit = args.get("limit")
    limit = default if limit is None else int(limit)
    if not 1 <= limit <= MAX_LIMIT:
        raise GraphQLError(f"limit must be between 1 and {MAX_LIMIT}", "INVALID_ARGUMENT", status_code=400)
    return limit


def _page(emu, tenant: str, board: dict, sel: gql.Field, params: Any, offset: int, limit: int,
          created: float) -> dict:
    items = listing(board, params)
    chunk = items[offset:offset + limit]
    token = None
    if offset + limit < len(items):
        token = "MSw" + secrets.token_urlsafe(24)
        emu.cursors[token] = {"tenant": tenant, "board_id": board["id"], "params": params,
                              "offset": offset + limit, "created": created}
    items_sel = gql.find(sel.selections, "items")
    cv_sel = gql.find(items_sel.selections, "column_values") if items_sel else None
    rendered = [render_item(i, board, cv_sel.args if cv_sel else {}) for i in chunk]
    return gql.project({"cursor": token, "items": rendered}, sel.selections, _type_of)


def _next_page(emu, tenant: str, sel: gql.Field, path: str) -> dict:
    token = sel.args.get("cursor")
    state = emu.cursors.get(str(token))
    if state is None or state["tenant"] != tenant:
        raise GraphQLError("CursorException: the cursor is invalid", "CursorException", status_code=400)
    expired = emu.clock() - state["created"] > emu.cursor_ttl
    if emu.faults.take("expired_cursor", path) is not None or expired:
        emu.cursors.pop(str(token), None)
        raise GraphQLError(EXPIRED, "CursorExpiredError", status_code=200)
    change = emu.faults.take("page_changes", path)
    if change is not None:  # somebody adds an item on top of the board, or (action="delete") deletes one
        if change.get("action") == "delete":
            top = listing(emu.accounts[tenant][state["board_id"]], None)[0]
            top["state"] = "deleted"
        else:
            emu.add_item(tenant, state["board_id"])
    board = emu.accounts[tenant][state["board_id"]]
    return _page(emu, tenant, board, sel, state["params"], state["offset"], _limit(sel.args), state["created"])


def _board(emu, tenant: str, board: dict, selections: list) -> dict:
    out: dict[str, Any] = {}
    for sel in selections:
        if not isinstance(sel, gql.Field):
            continue
        if sel.name == "items_page":
            out[sel.key] = _page(emu, tenant, board, sel, sel.args.get("query_params"), 0, _limit(sel.args),
                                 emu.clock())
        elif sel.name == "columns":
            wanted = set(_ids(sel.args.get("ids")))
            out[sel.key] = gql.project([c for c in board["columns"] if not wanted or c["id"] in wanted],
                                       sel.selections)
        elif sel.name == "groups":
            groups = {i["group"]["id"]: i["group"] for i in board["items"] if i.get("group")}
            out[sel.key] = gql.project(list(groups.values()), sel.selections)
        elif sel.name == "items_count":
            out[sel.key] = sum(1 for i in board["items"] if i["state"] == "active")
        else:
            meta = {"id": board["id"], "name": board["name"], "state": "active", "board_kind": "public"}
            out[sel.key] = meta.get(sel.name)
    return out


def _items(account: dict, sel: gql.Field) -> list[dict]:
    wanted = _ids(sel.args.get("ids"))
    if len(wanted) > 100:
        raise GraphQLError("You can query up to 100 items by ids", "INVALID_ARGUMENT", status_code=400)
    cv_sel = gql.find(sel.selections, "column_values")
    out = []
    for board in account.values():
        for item in board["items"]:
            if item["id"] in wanted and not (sel.args.get("exclude_nonactive") and item["state"] != "active"):
                out.append(render_item(item, board, cv_sel.args if cv_sel else {}))
    return gql.project(out, sel.selections, _type_of)


def resolve(emu, tenant: str, selections: list, complexity: dict, path: str) -> dict:
    account = emu.accounts[tenant]
    data: dict[str, Any] = {}
    for sel in selections:
        if not isinstance(sel, gql.Field):
            continue
        if sel.name == "complexity":
            data[sel.key] = gql.project(complexity, sel.selections)
        elif sel.name == "boards":
            ids = _ids(sel.args.get("ids"))
            boards = [account[i] for i in ids if i in account] if ids else list(account.values())
            data[sel.key] = [_board(emu, tenant, b, sel.selections) for b in boards]
        elif sel.name == "next_items_page":
            data[sel.key] = _next_page(emu, tenant, sel, path)
        elif sel.name == "items":
            data[sel.key] = _items(account, sel)
    return data
