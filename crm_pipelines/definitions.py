"""The one ``Definitions`` object of the project: wiring only."""

from crm_pipelines.defs.build import build_definitions

defs = build_definitions()
