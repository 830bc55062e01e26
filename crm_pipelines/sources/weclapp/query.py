"""weclapp REST v2 query semantics for the emulator: filters, sort, properties, serializeNulls.

Filters are ``<property>-<op>=<value>`` (eq, ne, lt, le, gt, ge, like, ilike, notlike, notilike,
null, notnull, in, notin); ``sort`` is a comma list with ``-`` for descending; ``properties``
selects fields (dotted for nested lists: ``addresses.city``). Unknown properties and bad enum
values give the API's RFC 7807 validation problem (raised here as ``Problem``).
"""

from __future__ import annotations

import json
import re
from typing import Any

OPS = ("eq", "ne", "lt", "le", "gt", "ge", "like", "ilike", "notlike", "notilike", "null", "notnull",
       "in", "notin")
RESERVED = {"page", "pageSize", "sort", "filter", "properties", "includeReferencedEntities",
            "additionalProperties", "serializeNulls"}
ENUMS = {"partyType": ("ORGANIZATION", "PERSON"),
         "taskStatus": ("NOT_STARTED", "IN_PROGRESS", "COMPLETED", "WAITING_ON_OTHERS", "DEFERRED"),
         "taskPriority": ("HIGH", "MEDIUM", "LOW")}
NOT_FILTERABLE = {"mobilePhone1"}
_FILTER = re.compile(rf"^(?P<prop>[A-Za-z0-9_.]+)-(?P<op>{'|'.join(OPS)})$")


class Problem(Exception):
    """An RFC 7807 problem the emulator answers with."""

    def __init__(self, status: int, kind: str, title: str, detail: str, location: str | None = None):
        super().__init__(detail)
        self.status, self.kind, self.title, self.detail, self.location = status, kind, title, detail, location

    def body(self, instance: str) -> dict:
        body = {"type": f"https://api.weclapp.com/errors/{self.kind}", "title": self.title,
                "status": self.status, "detail": self.detail, "instance": instance}
        if self.location is not None:
            body["validationErrors"] = [{"type": "https://api.weclapp.com/errors/validation",
                                         "detail": self.detail, "location": self.location}]
        return body


def unknown(prop: str) -> Problem:
    return Problem(400, "validation", "validation error", f"property {prop} is unknown", prop)


def _check_property(prop: str, fields: set[str]) -> None:
    if prop.split(".")[0] not in fields:
        raise unknown(prop.split(".")[0])


def _typed(sample: Any, prop: str, text: str) -> Any:
    if prop in ENUMS and text not in ENUMS[prop]:
        raise Problem(400, "validation", "validation error",
                      f"unknown enum value '{text}', allowed values: [{', '.join(ENUMS[prop])}]", prop)
    if prop == "id" or prop.endswith("Id"):
        return int(text) if text.lstrip("-").isdigit() else text
    if isinstance(sample, bool) or text in ("true", "false"):
        return text == "true"
    if isinstance(sample, int) or (sample is None and text.lstrip("-").isdigit()):
        try:
            return int(text)
        except ValueError:
            raise Problem(400, "validation", "validation error", f"invalid number '{text}'", prop) from None
    return text


def _value(record: dict, prop: str) -> Any:
    value = record.get(prop)
    if (prop == "id" or prop.endswith("Id")) and isinstance(value, str) and value.isdigit():
        return int(value)  # ids are strings in JSON but numbers in weclapp's database
    return value


def _like(value: Any, pattern: str, insensitive: bool) -> bool:
    regex = "^" + ".*".join(re.escape(part) for part in pattern.split("%")) + "$"
    return re.match(regex, str(value or ""), re.IGNORECASE if insensitive else 0) is not None


def matches(record: dict, prop: str, op: str, text: str) -> bool:
    value = _value(record, prop)
    if op in ("null", "notnull"):
        return (value is None) == (op == "null")
    if op in ("like", "ilike", "notlike", "notilike"):
        hit = _like(value, text, op.endswith("ilike"))
        return not hit if op.startswith("not") else hit
    if op in ("in", "notin"):
        wanted = {_typed(value, prop, str(v)) for v in json.loads(text)}
        return (value in wanted) != (op == "notin")
    target = _typed(value, prop, text)
    if op == "eq":
        return value == target
    if op == "ne":
        return value != target
    if value is None:
        return False
    return {"lt": value < target, "le": value <= target, "gt": value > target, "ge": value >= target}[op]


def apply_filters(records: list[dict], query: dict[str, list[str]], fields: set[str]) -> list[dict]:
    out = records
    for key, values in query.items():
        if key in RESERVED:
            continue
        match = _FILTER.match(key)
        if match is None:
            raise unknown(key)
        prop, op = match["prop"], match["op"]
        _check_property(prop, fields)
        if prop in NOT_FILTERABLE:
            raise Problem(400, "validation", "validation error", f"property {prop} is not filterable", prop)
        if prop in ENUMS and op in ("eq", "ne"):
            _typed(None, prop, values[0])
        out = [r for r in out if matches(r, prop, op, values[0])]
    return out


def sort_records(records: list[dict], sort: str | None, fields: set[str]) -> list[dict]:
    keys = [k for k in (sort or "id").split(",") if k]
    for key in reversed(keys):
        prop = key.lstrip("-")
        _check_property(prop, fields)
        records = sorted(records, key=lambda r, p=prop: _sort_key(_value(r, p)), reverse=key.startswith("-"))
    return records


def _sort_key(value: Any) -> tuple:
    return (value is None, "" if value is None else value)


def select(record: dict, properties: str | None, fields: set[str], serialize_nulls: bool) -> dict:
    out = record
    if properties:
        wanted: dict[str, list[str]] = {}
        for prop in properties.split(","):
            _check_property(prop, fields)
            head, _, rest = prop.partition(".")
            wanted.setdefault(head, []).append(rest)
        out = {}
        for head, rests in wanted.items():
            value = record.get(head)
            if all(rests) and isinstance(value, list):
                value = [{r: item.get(r) for r in rests} for item in value if isinstance(item, dict)]
            out[head] = value
    return out if serialize_nulls else _drop_nulls(out)


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value
