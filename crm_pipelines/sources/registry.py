"""The registry of sources: adding a system means adding its folder and one line here."""

from __future__ import annotations

import importlib

from crm_pipelines.sources.base import SourceDefinition

SOURCE_NAMES = ("hero", "monday", "ms365", "lexware", "weclapp", "calcom", "booking_db")


def _load(name: str) -> SourceDefinition | None:
    try:
        module = importlib.import_module(f"crm_pipelines.sources.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"crm_pipelines.sources.{name}":
            return None  # not built yet
        raise
    return getattr(module, "SOURCE", None)


SOURCES: dict[str, SourceDefinition] = {
    name: source for name in SOURCE_NAMES if (source := _load(name)) is not None}


def get_source(name: str) -> SourceDefinition:
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(SOURCES)}") from None
