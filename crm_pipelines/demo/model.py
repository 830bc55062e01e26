"""The demo world: who really exists at a tenant, and how each source sees them.

A ``World`` is built deterministically from a seed (see ``crm_pipelines.demo.world``). It holds
the ground truth (``entities``) and, per source, the drifted copies that source holds
(``contacts[source]``), plus the non-contact objects (vouchers, tasks, users, event types and the
booking app's rows). Each source's ``demo.py`` renders these neutral records into that API's own
JSON shape for its emulator. Tests and benchmarks use ``truth`` to score matching.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Entity:
    """A real person or organization (ground truth, never shown to the pipeline)."""

    entity_id: str  # e.g. "bau-mueller/E0042"
    kind: str  # person | organization
    salutation: str | None
    title: str | None
    first_name: str | None
    last_name: str | None
    company_name: str | None  # organizations: full name with legal form ("Schulz Haustechnik GmbH")
    legal_form: str | None
    email: str | None
    phone: str | None  # E.164
    mobile: str | None  # E.164
    street: str | None  # "Hauptstraße"
    house_number: str | None
    postal_code: str | None
    city: str | None
    country: str  # ISO code
    vat_id: str | None
    tax_number: str | None
    birthday: str | None  # ISO date
    roles: list[str]
    organization_id: str | None = None  # for contact persons: the entity_id of their organization


@dataclass
class DemoContact:
    """One source's copy of an entity, with realistic drift already applied."""

    source: str
    source_id: str  # in the source's native id format (HERO int as str, Lexware UUID, ...)
    entity_id: str  # ground truth
    kind: str
    salutation: str | None
    title: str | None
    first_name: str | None
    last_name: str | None
    company_name: str | None
    emails: list[tuple[str, str]]  # (work|personal|other, value as the source holds it)
    phones: list[tuple[str, str]]  # (office|mobile|home|fax, value as the source holds it)
    street: str | None  # street and house number as one string, as most sources hold it
    postal_code: str | None
    city: str | None
    country: str | None  # as the source holds it: "DE", "Deutschland"
    vat_id: str | None
    tax_number: str | None
    birthday: str | None  # ISO date
    roles: list[str]
    customer_number: str | None
    supplier_number: str | None
    created_at: str  # ISO 8601 with offset
    modified_at: str
    is_deleted: bool = False
    container: str | None = None  # ms365: mailbox UPN; monday: board id; else None
    parent_source_id: str | None = None  # contact person of an organization record in the same source
    job_title: str | None = None


@dataclass
class DemoVoucher:  # Lexware Office voucherlist item
    source_id: str  # UUID
    voucher_type: str
    voucher_status: str
    voucher_number: str
    voucher_date: str  # ISO 8601 with offset
    created_at: str
    updated_at: str
    due_date: str | None
    contact_source_id: str | None  # Lexware contact id; None = collective contact
    contact_name: str
    total_amount: float
    open_amount: float | None
    currency: str = "EUR"
    archived: bool = False


@dataclass
class DemoUser:  # weclapp user
    source_id: str
    first_name: str
    last_name: str
    email: str
    active: bool = True


@dataclass
class DemoTask:  # weclapp task
    source_id: str
    subject: str
    status: str  # NOT_STARTED | IN_PROGRESS | COMPLETED | WAITING_ON_OTHERS | DEFERRED
    priority: str  # HIGH | MEDIUM | LOW
    customer_source_id: str | None  # weclapp party id (may be unknown on purpose: an orphan)
    assignee_user_ids: list[str]
    date_from_ms: int | None
    date_to_ms: int | None
    created_ms: int
    modified_ms: int


@dataclass
class DemoEventType:  # Cal.com team event type
    event_type_id: int
    team_id: int
    title: str
    slug: str
    length_minutes: int
    scheduling_type: str | None  # roundRobin | collective | managed | None
    hosts: list[dict]  # {"userId", "name", "username"}


@dataclass
class DemoCompany:  # booking app: companies
    company_id: int
    tenant_id: str
    name: str
    calcom_team_id: int | None


@dataclass
class DemoService:  # booking app: services
    service_id: int
    company_id: int
    name: str
    calcom_event_type_id: int | None
    sync_status: str  # synced | pending | never
    last_calcom_sync: str | None
    sync_error: str | None


@dataclass
class DemoMapping:  # booking app: event-type mapping table
    mapping_id: int
    company_id: int
    service_id: int
    calcom_event_type_id: int
    calcom_team_id: int | None


@dataclass
class Defects:
    """What the demo data deliberately gets wrong, so checks can be tested against it exactly."""

    cross_tenant_mapping_ids: list[int] = field(default_factory=list)  # team id of another tenant
    null_team_mapping_ids: list[int] = field(default_factory=list)
    unsynced_service_ids: list[int] = field(default_factory=list)  # event type but never/pending
    orphan_voucher_ids: list[str] = field(default_factory=list)  # contactId unknown to Lexware
    orphan_task_ids: list[str] = field(default_factory=list)  # customerId unknown to weclapp


@dataclass
class World:
    tenant_id: str
    seed: int
    entities: list[Entity]
    contacts: dict[str, list[DemoContact]]  # source name -> records
    vouchers: list[DemoVoucher]
    users: list[DemoUser]
    tasks: list[DemoTask]
    calcom_team_id: int | None
    event_types: list[DemoEventType]
    companies: list[DemoCompany]
    services: list[DemoService]
    mappings: list[DemoMapping]
    defects: Defects

    def truth(self) -> dict[tuple[str, str], str]:
        """(source, source_id) -> entity_id for every contact record of every source."""
        return {(c.source, c.source_id): c.entity_id for recs in self.contacts.values() for c in recs}
