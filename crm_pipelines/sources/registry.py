"""The registry of sources: adding a system means adding its folder and one line here."""

from __future__ import annotations

import importlib

from crm_pipelines.sources.base import SourceDefinition

SOURCE_NAMES = ("hero", "monday", "ms365", "lexware", "weclapp", "calcom", "booking_db")

SOURCES: dict[str, SourceDefinition] = {
    name: importlib.import_module(f"crm_pipelines.sources.{name}").SOURCE for name in SOURCE_NAMES}


def get_source(name: str) -> SourceDefinition:
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(SOURCES)}") from None
