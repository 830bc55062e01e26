"""Names used across the Dagster layer, one constant each."""

RAW_PREFIX = "raw"
OWNER = "team:data-platform"
TAG_SOURCE = "crm/source"
TAG_TENANT = "crm/tenant"
FULL_PIPELINE_JOB = "full_pipeline"
GOLDEN_GROUP = "golden"
CHECKS_GROUP = "data_quality"


def raw_group(source: str) -> str:
    return f"raw_{source}"


def source_pool(source: str) -> str:
    """One pool per source: two writes of the same source never run at once."""
    return f"crm_source_{source}"
