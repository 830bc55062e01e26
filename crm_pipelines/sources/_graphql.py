"""A small GraphQL reader for the emulators (HERO and monday.com): parse, validate, project.

Enough of GraphQL to answer like a real server would: one operation (``query Name($v: T) {...}``
or ``{...}``), aliases, arguments (variables, strings, numbers, booleans, null, enums, lists,
objects), inline fragments (``... on EmailValue { email }``). No named fragments or directives.
``validate`` checks every selected field against a tiny schema and returns the server's error
message for an unknown field or argument, so a typo in a connector's query fails as it would
against the real API. Only the emulators use this module; connectors just send query strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(r'[\s,]+|#[^\n]*|(\.\.\.|[{}()\[\]:$!=@]|"(?:[^"\\]|\\.)*"'
                    r'|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[_A-Za-z][_0-9A-Za-z]*)')


class GraphQLSyntaxError(ValueError):
    pass


@dataclass
class Field:
    name: str
    alias: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    selections: list[Any] = field(default_factory=list)  # Field | Fragment

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass
class Fragment:
    type_name: str
    selections: list[Any]


@dataclass(frozen=True)
class Schema:
    """``types``: type -> {field: object type name, or None for a scalar};
    ``args``: (type, field) -> allowed argument names (absent: no arguments allowed)."""

    types: dict[str, dict[str, str | None]]
    args: dict[tuple[str, str], frozenset[str]]


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise GraphQLSyntaxError(f"Syntax Error: Unexpected character {text[pos]!r}.")
        if match.group(1):
            out.append(match.group(1))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str, variables: dict[str, Any]):
        self.toks, self.pos, self.variables = _tokens(text), 0, variables

    def peek(self) -> str | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise GraphQLSyntaxError(f"Syntax Error: Expected {expected or 'a token'}, found {tok or '<EOF>'}.")
        self.pos += 1
        return tok

    def document(self) -> tuple[str, list]:
        operation = "query"
        if self.peek() in ("query", "mutation", "subscription"):
            operation = self.take()
            if self.peek() not in ("{", "("):
                self.take()  # operation name
            if self.peek() == "(":  # variable definitions: skipped, values come from ``variables``
                depth = 0
                while True:
                    tok = self.take()
                    depth += tok == "("
                    depth -= tok == ")"
                    if depth == 0:
                        break
        selections = self.selection_set()
        if self.peek() is not None:
            raise GraphQLSyntaxError(f"Syntax Error: Unexpected {self.peek()}.")
        return operation, selections

    def selection_set(self) -> list:
        self.take("{")
        out: list = []
        while self.peek() != "}":
            if self.peek() == "...":
                self.take()
                self.take("on")
                type_name = self.take()
                out.append(Fragment(type_name, self.selection_set()))
                continue
            name, alias = self.take(), None
            if not re.match(r"[_A-Za-z]", name):
                raise GraphQLSyntaxError(f"Syntax Error: Expected Name, found {name}.")
            if self.peek() == ":":
                self.take()
                alias, name = name, self.take()
            node = Field(name, alias)
            if self.peek() == "(":
                self.take()
                while self.peek() != ")":
                    arg = self.take()
                    self.take(":")
                    node.args[arg] = self.value()
                self.take(")")
            if self.peek() == "{":
                node.selections = self.selection_set()
            out.append(node)
        self.take("}")
        if not out:
            raise GraphQLSyntaxError("Syntax Error: Expected Name, found }.")
        return out

    def value(self) -> Any:
        tok = self.take()
        if tok == "$":
            return self.variables.get(self.take())
        if tok.startswith('"'):
            return json.loads(tok)
        if re.fullmatch(r"-?\d+", tok):
            return int(tok)
        if re.fullmatch(r"-?\d[\d.eE+-]*", tok):
            return float(tok)
        if tok in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[tok]
        if tok == "[":
            items = []
            while self.peek() != "]":
                items.append(self.value())
            self.take("]")
            return items
        if tok == "{":
            obj = {}
            while self.peek() != "}":
                key = self.take()
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        return tok  # an enum value such as greater_than_or_equals


def parse(query: str, variables: dict[str, Any] | None = None) -> tuple[str, list]:
    """``(operation, root selections)``; raises ``GraphQLSyntaxError``."""
    return _Parser(query or "", dict(variables or {})).document()


def validate(selections: list, type_name: str, schema: Schema) -> str | None:
    """The first validation error, worded like graphql-js, or None."""
    fields = schema.types[type_name]
    for sel in selections:
        if isinstance(sel, Fragment):
            if sel.type_name not in schema.types:
                return f'Unknown type "{sel.type_name}".'
            error = validate(sel.selections, sel.type_name, schema)
            if error:
                return error
            continue
        if sel.name == "__typename":
            continue
        if sel.name not in fields:
            return f'Cannot query field "{sel.name}" on type "{type_name}".'
        allowed = schema.args.get((type_name, sel.name), frozenset())
        for arg in sel.args:
            if arg not in allowed:
                return f'Unknown argument "{arg}" on field "{type_name}.{sel.name}".'
        sub = fields[sel.name]
        if sub is None and sel.selections:
            return f'Field "{sel.name}" must not have a selection since its type has no subfields.'
        if sub is not None and not sel.selections:
            return (f'Field "{sel.name}" of type "{sub}" must have a selection of subfields. '
                    f'Did you mean "{sel.name} {{ ... }}"?')
        if sub is not None:
            error = validate(sel.selections, sub, schema)
            if error:
                return error
    return None


def project(value: Any, selections: list, type_of: Callable[[dict], str] | None = None) -> Any:
    """Keep only the selected fields of ``value`` (a dict or a list of dicts), recursively."""
    if value is None:
        return None
    if isinstance(value, list):
        return [project(v, selections, type_of) for v in value]
    out: dict[str, Any] = {}
    for sel in selections:
        if isinstance(sel, Fragment):
            if type_of is not None and type_of(value) == sel.type_name:
                out.update(project(value, sel.selections, type_of))
        elif sel.name == "__typename":
            out[sel.key] = type_of(value) if type_of else None
        elif sel.selections:
            out[sel.key] = project(value.get(sel.name), sel.selections, type_of)
        else:
            out[sel.key] = value.get(sel.name)
    return out


def leaf_count(selections: list) -> int:
    """Number of scalar fields selected (a cheap stand-in for query cost)."""
    return sum(leaf_count(s.selections) if s.selections else 1 for s in selections)


def find(selections: list, name: str) -> Field | None:
    return next((s for s in selections if isinstance(s, Field) and s.name == name), None)
