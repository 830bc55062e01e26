"""The slice of monday.com's GraphQL schema the emulator serves, and how items look in it.

Items are stored compactly (``values``: column id -> display text) and rendered per request into
the API's shape: ``column_values`` with ``text``, ``value`` (a JSON *string*: JSON in JSON, with
``changed_at``) and the typed fields of ``EmailValue``, ``PhoneValue``, ``DateValue``, ...
``query_params`` rules are applied here, including the ``__last_updated__`` rule the official SDK
uses for incremental reads (``compare_value: ["EXACT", "<iso>"]``, ``compare_attribute: "UPDATED_AT"``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from crm_pipelines.sources._graphql import Schema

_CV = {"id": None, "type": None, "text": None, "value": None, "column": "Column"}
FRAGMENT_TYPES = {"email": "EmailValue", "phone": "PhoneValue", "text": "TextValue", "date": "DateValue",
                  "status": "StatusValue", "long_text": "LongTextValue", "numbers": "NumbersValue"}
SCHEMA = Schema(
    types={
        "Query": {"boards": "Board", "next_items_page": "ItemsResponse", "items": "Item", "complexity": "Complexity"},
        "Board": {"id": None, "name": None, "state": None, "board_kind": None, "items_count": None,
                  "columns": "Column", "groups": "Group", "items_page": "ItemsResponse"},
        "ItemsResponse": {"cursor": None, "items": "Item"},
        "Item": {"id": None, "name": None, "created_at": None, "updated_at": None, "state": None, "creator_id": None,
                 "url": None, "group": "Group", "board": "Board", "column_values": "ColumnValue"},
        "Group": {"id": None, "title": None, "color": None, "position": None},
        "Column": {"id": None, "title": None, "type": None, "description": None, "settings_str": None},
        "ColumnValue": _CV,
        "EmailValue": {**_CV, "email": None},
        "PhoneValue": {**_CV, "phone": None, "country_short_name": None},
        "TextValue": _CV,
        "LongTextValue": _CV,
        "NumbersValue": {**_CV, "number": None},
        "DateValue": {**_CV, "date": None, "time": None},
        "StatusValue": {**_CV, "label": None, "index": None, "is_done": None},
        "Complexity": {"before": None, "after": None, "query": None, "reset_in_x_seconds": None},
    },
    args={("Query", "boards"): frozenset({"ids", "limit", "page", "state", "board_kind", "order_by", "workspace_ids"}),
          ("Query", "next_items_page"): frozenset({"cursor", "limit"}),
          ("Query", "items"): frozenset({"ids", "limit", "page", "exclude_nonactive", "newest_first"}),
          ("Board", "items_page"): frozenset({"limit", "cursor", "query_params"}),
          ("Board", "columns"): frozenset({"ids", "types"}),
          ("Board", "groups"): frozenset({"ids"}),
          ("Item", "column_values"): frozenset({"ids", "types"})})


class GraphQLError(Exception):
    def __init__(self, message: str, code: str, **extensions: Any):
        super().__init__(message)
        self.message, self.code, self.extensions = message, code, extensions


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def column_value(column: dict, text: str | None, changed_at: str) -> dict:
    """One column value in the API's shape; ``value`` is JSON encoded into a string."""
    kind, text = column["type"], text or ""
    out = {"id": column["id"], "type": kind, "text": text, "value": None, "column": column}
    if not text:
        return {**out, "email": None, "phone": None, "country_short_name": None, "date": None, "label": None}
    if kind == "email":
        out.update(email=text, value={"email": text, "text": text})
    elif kind == "phone":
        out.update(phone=text, country_short_name="DE", value={"phone": text, "countryShortName": "DE"})
    elif kind == "date":
        out.update(date=text, time=None, value={"date": text, "icon": None})
    elif kind == "status":
        out.update(label=text, index=1, is_done=False, value={"index": 1, "post_id": None})
    elif kind == "long_text":
        out.update(value={"text": text})
    else:
        out["value"] = text
    if isinstance(out["value"], dict):
        out["value"] = {**out["value"], "changed_at": changed_at}
    out["value"] = json.dumps(out["value"], ensure_ascii=False)
    return out


def render_item(item: dict, board: dict, cv_args: dict) -> dict:
    columns = board["columns"]
    if cv_args.get("ids"):
        columns = [c for c in columns if c["id"] in {str(i) for i in cv_args["ids"]}]
    if cv_args.get("types"):
        columns = [c for c in columns if c["type"] in set(cv_args["types"])]
    return {**item, "board": {"id": board["id"], "name": board["name"]},
            "column_values": [column_value(c, item["values"].get(c["id"]), item["updated_at"]) for c in columns]}


def _rule_matches(rule: dict, item: dict, board: dict) -> bool:
    column, operator = str(rule.get("column_id")), str(rule.get("operator") or "any_of")
    values = rule.get("compare_value")
    values = values if isinstance(values, list) else [values]
    if column == "__last_updated__":
        if len(values) != 2 or values[0] != "EXACT":
            raise GraphQLError('Invalid compare value for "__last_updated__": expected ["EXACT", "<ISO 8601>"]',
                               "INVALID_ARGUMENT", status_code=400)
        try:
            bound = parse_time(values[1])
        except ValueError:
            raise GraphQLError(f"Invalid date {values[1]!r}", "INVALID_ARGUMENT", status_code=400) from None
        stamp = parse_time(item["updated_at"])
        ops = {"greater_than_or_equals": stamp >= bound, "greater_than": stamp > bound,
               "lower_than_or_equal": stamp <= bound, "lower_than": stamp < bound}
        if operator not in ops:
            raise GraphQLError(f"Operator {operator} is not supported for __last_updated__", "INVALID_ARGUMENT")
        return ops[operator]
    if column not in {c["id"] for c in board["columns"]} and column != "name":
        raise GraphQLError(f"Column {column} not found on board {board['id']}", "InvalidColumnIdException",
                           status_code=400)
    text = item["name"] if column == "name" else item["values"].get(column) or ""
    wanted = [str(v) for v in values if v is not None]
    ops = {"any_of": text in wanted, "not_any_of": text not in wanted, "is_empty": not text,
           "is_not_empty": bool(text), "contains_text": any(w.lower() in text.lower() for w in wanted)}
    if operator not in ops:
        raise GraphQLError(f"Operator {operator} is not supported by the emulator", "INVALID_ARGUMENT")
    return ops[operator]


def listing(board: dict, query_params: dict | None) -> list[dict]:
    """Active items of a board in board order (new items on top), filtered by ``query_params``."""
    params = query_params or {}
    rules, combine = params.get("rules") or [], str(params.get("operator") or "and")
    items = sorted((i for i in board["items"] if i["state"] == "active"), key=lambda i: i["position"])
    if not rules:
        return items
    test = any if combine == "or" else all
    return [i for i in items if test(_rule_matches(r, i, board) for r in rules)]
