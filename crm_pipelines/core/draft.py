"""The contract between sources and the core: a contact as a source holds it, un-normalized.

Every source's ``mapping.py`` turns one raw API record into one or more ``ContactDraft``s
(a Lexware company with contact persons becomes one organization draft plus one person draft
per contact person, each person pointing at the organization through ``parent_source_id``).
The core normalizes drafts into canonical contacts; it never sees source-specific JSON.

Values are kept exactly as the source sent them (stripped of surrounding white space at most):
normalizing is the core's job, so that every source is normalized by the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Typed slots for e-mails and phones, shared by all sources.
EMAIL_TYPES = ("work", "personal", "other")
PHONE_TYPES = ("office", "mobile", "home", "fax", "other")
KINDS = ("person", "organization")
ROLES = ("customer", "supplier", "employee", "subcontractor", "partner", "contact_person", "lead", "other")


@dataclass
class ContactDraft:
    tenant_id: str
    source: str  # hero | monday | ms365 | lexware | weclapp | calcom | booking_db
    source_id: str  # unique within (tenant, source); contact persons get "<parent>#<n>" style ids
    kind: str | None = None  # "person" | "organization" | None (let the core infer)
    salutation: str | None = None  # as sent: "Herr", "Frau", "MRS", "Mr." ...
    title: str | None = None  # academic title as sent: "Dr.", "Prof. Dr."
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None  # when a source only has one name field (monday item name, displayName)
    company_name: str | None = None  # including a legal form if the source sends one inside the name
    emails: list[tuple[str, str]] = field(default_factory=list)  # (type in EMAIL_TYPES, raw value)
    phones: list[tuple[str, str]] = field(default_factory=list)  # (type in PHONE_TYPES, raw value)
    street: str | None = None  # may still hold the house number ("Hauptstr. 5a")
    house_number: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None  # name ("Deutschland") or ISO code ("DE") as sent
    vat_id: str | None = None
    tax_number: str | None = None
    trade_register: str | None = None
    customer_number: str | None = None
    supplier_number: str | None = None
    roles: list[str] = field(default_factory=list)  # values from ROLES
    birthday: str | None = None  # as sent: ISO date, "1980-05-17T00:00:00Z", "17.05.1980", "19800517"
    job_title: str | None = None
    department: str | None = None
    parent_source_id: str | None = None  # the organization (same tenant and source) a person belongs to
    source_created_at: str | None = None  # ISO 8601 as sent, if the source has it
    source_modified_at: str | None = None
    is_deleted: bool = False
