"""The booking app's database (SQL, read-only): companies, services and the Cal.com event-type
mapping table of the tenant's own companies. These rows feed the team-ID and sync-status checks."""

from crm_pipelines import settings
from crm_pipelines.sources.base import ObjectSpec, SourceDefinition
from crm_pipelines.sources.booking_db import mapping
from crm_pipelines.sources.booking_db.client import BookingDbConnector, BookingDbOptions


def demo_database_url() -> str:
    return f"sqlite:///{settings.data_dir() / 'booking_demo.sqlite'}"


def demo_credentials(tenant_id: str) -> dict[str, str]:
    return {"database_url": demo_database_url()}


def build_emulator():
    """(Re)create the demo booking database from all demo worlds; returns its description."""
    from crm_pipelines.demo.world import demo_worlds
    from crm_pipelines.sources.booking_db.emulator import build_booking_database

    return build_booking_database(demo_database_url(), demo_worlds())


SOURCE = SourceDefinition(
    name="booking_db",
    title="Booking app database",
    kinds=frozenset({"sql", "booking"}),
    objects=(
        ObjectSpec("companies", "The booking app's client companies of this tenant, with their Cal.com team id.",
                   mapping.COMPANY_COLUMNS, mapping.company_row),
        ObjectSpec("services", "Bookable services of the tenant's companies: Cal.com event type, sync_status "
                   "(synced/pending/never), last sync and error.", mapping.SERVICE_COLUMNS, mapping.service_row),
        ObjectSpec("mappings", "The service -> Cal.com event type mapping table, with the team id written on each "
                   "row (checked against the company's team id).", mapping.MAPPING_COLUMNS, mapping.mapping_row),
    ),
    options_model=BookingDbOptions,
    credential_fields=("database_url",),
    connect=BookingDbConnector,
    emulator=build_emulator,
    demo_credentials=demo_credentials,
)
