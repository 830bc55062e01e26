"""The warehouse: SQLAlchemy tables, bulk loads, atomic per-tenant publishes, cursors, run log.

No Dagster imports here: the Dagster layer (``crm_pipelines.defs``) calls into this package.
"""
