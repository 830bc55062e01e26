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


# data quality and automation (issue 5)
TAG_TRIGGER = "crm/trigger"
BOOKING_SYNC_HEALTH = "booking_sync_health"
CHECK_TEAM_ID = "team_id_invariant"
CHECK_SYNC_STATUS = "sync_status_invariant"
CHECK_ORPHANS = "contact_references"
CHECK_FRESHNESS = "tenant_freshness"
CHECK_GOLDEN_ISOLATION = "golden_tenant_isolation"
CHECK_GOLDEN_HEALTH = "golden_health"
GOLDEN_JOB = "golden_contacts_job"
CHANGE_SENSOR = "source_change_sensor"
ALERT_SENSOR = "slack_alert_sensor"
ENV_SLACK_WEBHOOK = "CRM_SLACK_WEBHOOK_URL"
ENV_DAGSTER_BASE_URL = "CRM_DAGSTER_BASE_URL"


def sync_job(name: str) -> str:
    """The job a schedule or the change sensor launches for one source (or source bundle)."""
    return f"sync_{name}"
