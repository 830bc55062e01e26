"""Data-quality rules without Dagster: each function reads one tenant's rows and returns violations.

Every query is filtered by ``tenant_id``; no function ever reads two tenants' data into one result
(the golden isolation rule reads only the *tenant id* of a foreign row that one of this tenant's
rows points at, never its content).
"""
