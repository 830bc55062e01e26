"""The three demo tenants: who they are, which sources they run, how much each source holds.

A ``TenantProfile`` is pure data; ``crm_pipelines.demo.world.build_world`` turns it into a ``World``.
Record counts are exact targets for contact sources (contact persons nested in Lexware companies
and weclapp parties count as records). Population groups size the ground truth before sampling.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CONTACT_SOURCES = ("hero", "monday", "ms365", "lexware", "weclapp")
GROUPS = ("customer_person", "customer_org", "supplier_org", "subcontractor_org", "freelancer", "employee")


@dataclass(frozen=True)
class Board:
    """A monday.com board: its items are contacts of one role."""

    board_id: str
    role: str  # employee | subcontractor | supplier | customer
    title: str
    count: int
    groups: tuple[str, ...]  # population groups its items come from


@dataclass(frozen=True)
class Mailbox:
    upn: str
    count: int


@dataclass(frozen=True)
class DefectSpec:
    """Booking-app defects to inject (recorded exactly in ``World.defects``) and data-quality noise."""

    never_services: int = 0  # services with an event type left on sync_status "never"
    pending_services: int = 0  # ... left on "pending"
    null_team_mappings: int = 0
    cross_tenant_team_id: int | None = None  # one mapping gets this (another tenant's) team id
    quality_noise: bool = True  # invalid e-mails/phones, soft-deleted HERO records


@dataclass(frozen=True)
class TenantProfile:
    tenant_id: str
    name: str
    seed: int
    industry: str  # bau | agentur | salon: picks vocabularies, event types and task subjects
    region: str  # key of crm_pipelines.demo.addresses.REGIONS
    domain: str  # the tenant's own e-mail domain
    calcom_team_id: int | None
    booking_company_id: int | None
    population: dict[str, int]  # group -> number of entities (before contact persons)
    contact_persons_per_org: float = 1.3
    shared_entities: int = 0  # entities shared (same e-mail) with the other tenants that set it
    hero: int = 0
    lexware: int = 0
    weclapp: int = 0
    mailboxes: tuple[Mailbox, ...] = ()
    ms365_pool: int = 0  # distinct entities spread over the mailboxes
    boards: tuple[Board, ...] = ()
    vouchers: int = 0
    tasks: int = 0
    users: int = 0
    event_types: int = 0
    services_without_event_type: int = 0
    defects: DefectSpec = field(default_factory=DefectSpec)

    @property
    def record_counts(self) -> dict[str, int]:
        """Contact records per source (only sources this tenant runs)."""
        counts = {
            "hero": self.hero,
            "monday": sum(b.count for b in self.boards),
            "ms365": sum(m.count for m in self.mailboxes),
            "lexware": self.lexware,
            "weclapp": self.weclapp,
        }
        return {source: n for source, n in counts.items() if n}

    @property
    def sources(self) -> tuple[str, ...]:
        """Every source this tenant runs, contact sources first."""
        extra = (("calcom",) if self.calcom_team_id else ()) + (("booking_db",) if self.booking_company_id else ())
        return tuple(self.record_counts) + extra


CUSTOMERS = ("customer_person", "customer_org")
PARTIES = (*CUSTOMERS, "supplier_org", "subcontractor_org", "freelancer")

BAU_MUELLER = TenantProfile(
    tenant_id="bau-mueller", name="Müller Bau & Renovierung GmbH", seed=4101, industry="bau", region="muenchen",
    domain="bau-mueller.de", calcom_team_id=4101, booking_company_id=1,
    population={"customer_person": 295, "customer_org": 45, "supplier_org": 22, "subcontractor_org": 22,
                "freelancer": 5, "employee": 22},
    shared_entities=15,
    hero=270, lexware=200, weclapp=150,
    mailboxes=(Mailbox("info@bau-mueller.de", 240), Mailbox("buero@bau-mueller.de", 250),
               Mailbox("m.mueller@bau-mueller.de", 230)),
    ms365_pool=310,
    boards=(Board("1843502117", "employee", "Mitarbeiter", 20, ("employee",)),
            Board("1843502268", "subcontractor", "Subunternehmer", 22, ("subcontractor_org", "freelancer")),
            Board("1843502391", "supplier", "Lieferanten", 18, ("supplier_org",))),
    vouchers=400, tasks=60, users=8, event_types=18, services_without_event_type=1,
)

AGENTUR_WEBER = TenantProfile(
    tenant_id="agentur-weber", name="Weber Kommunikation GmbH", seed=4202, industry="agentur",
    region="koeln", domain="agentur-weber.de", calcom_team_id=4202, booking_company_id=2,
    population={"customer_person": 26, "customer_org": 62, "supplier_org": 10, "subcontractor_org": 0,
                "freelancer": 14, "employee": 9},
    contact_persons_per_org=1.1, shared_entities=15,
    lexware=120, weclapp=100,
    mailboxes=(Mailbox("info@agentur-weber.de", 150),), ms365_pool=150,
    vouchers=250, tasks=40, users=5, event_types=18,
    defects=DefectSpec(never_services=16, pending_services=1, null_team_mappings=1, cross_tenant_team_id=4101),
)

SALON_SCHNEIDER = TenantProfile(
    tenant_id="salon-schneider", name="Salon Schneider", seed=4303, industry="salon", region="freiburg",
    domain="salon-schneider.de", calcom_team_id=4303, booking_company_id=3,
    population={"customer_person": 42, "customer_org": 0, "supplier_org": 7, "subcontractor_org": 0,
                "freelancer": 0, "employee": 4},
    contact_persons_per_org=1.0,
    lexware=40,
    boards=(Board("1907733450", "customer", "Kundinnen & Kunden", 30, ("customer_person",)),),
    vouchers=80, event_types=6,
    defects=DefectSpec(quality_noise=False),
)

PROFILES: tuple[TenantProfile, ...] = (BAU_MUELLER, AGENTUR_WEBER, SALON_SCHNEIDER)
