"""One source's copy of one entity: which fields that tool holds and how they drifted there."""

from __future__ import annotations

import random
from dataclasses import dataclass

from crm_pipelines.demo import clock, drift
from crm_pipelines.demo.model import DemoContact, Entity

COUNTRY_STYLE = {"hero": ("Deutschland",), "ms365": ("Deutschland", "Deutschland", "Germany", None),
                 "lexware": ("DE",), "weclapp": ("DE",), "monday": (None,)}
HAS_SALUTATION = {"hero", "lexware", "weclapp"}
HAS_TITLE = {"hero", "ms365"}
HAS_BIRTHDAY = {"ms365", "weclapp", "monday"}
HAS_VAT = {"lexware", "weclapp"}
SWAP_RATE = {"hero": 0.02, "ms365": 0.03, "monday": 0.05}
# How sloppy data entry is per tool (1.0 = average); accounting tools are cleaner.
LEVEL = {"hero": 1.0, "ms365": 1.3, "monday": 1.2, "lexware": 0.6, "weclapp": 0.8}


@dataclass
class RenderContext:
    source: str
    noise: bool  # inject invalid values / soft deletes
    org_of: dict[str, Entity]  # contact person entity id -> organization entity
    job_title: dict[str, str]
    container: str | None = None
    role: str | None = None  # monday board role
    nested: bool = False  # contact person nested in its organization's record (Lexware, weclapp)


def _roles(source: str, entity: Entity, ctx: RenderContext) -> list[str]:
    if source == "monday":
        return [ctx.role] if ctx.role else []
    if source == "ms365":
        return []
    if source == "hero":
        return ["customer"]
    if "contact_person" in entity.roles:
        return ["contact_person"]
    return ["customer"] if "customer" in entity.roles else ["supplier"]


def _phones(rng: random.Random, e: Entity, ctx: RenderContext) -> list[tuple[str, str]]:
    out = []
    landline_type = "office" if e.kind == "organization" or e.organization_id or "employee" in e.roles else "home"
    if ctx.source == "monday":
        number = e.mobile or e.phone
        if number and rng.random() < 0.9:
            out.append(("mobile" if number == e.mobile else landline_type, drift.phone(rng, number, ctx.noise)))
        return out
    if e.phone and rng.random() < 0.9:
        out.append((landline_type, drift.phone(rng, e.phone, ctx.noise)))
    if e.mobile and rng.random() < (0.85 if ctx.source != "lexware" or not ctx.nested else 0.0):
        out.append(("mobile", drift.phone(rng, e.mobile, ctx.noise)))
    if e.kind == "organization" and e.phone and ctx.source in ("hero", "lexware", "weclapp") and rng.random() < 0.15:
        out.append(("fax", drift.phone(rng, e.phone[:-2] + "99", False)))
    return out


def render(rng: random.Random, e: Entity, ctx: RenderContext, exact_email: bool = False) -> DemoContact:
    """The source's record for ``e`` (ids are filled in by the caller)."""
    src, level = ctx.source, LEVEL[ctx.source]
    person = e.kind == "person"
    first, last = drift.name(rng, e.first_name, level), drift.name(rng, e.last_name, level)
    if person and rng.random() < SWAP_RATE.get(src, 0.0):
        first, last = last, first
    if person and first and rng.random() < 0.02 * level:
        first = None if src != "monday" else first[0] + "."
    org = ctx.org_of.get(e.entity_id)
    company = drift.company(rng, e.company_name, e.legal_form, level)
    if org is not None and src == "ms365" and rng.random() < 0.85:
        company = drift.company(rng, org.company_name, org.legal_form, level)
    elif person and "employee" in e.roles and src == "ms365" and rng.random() < 0.3:
        company = "Eigene Firma"
    email = e.email if exact_email else drift.email(rng, e.email, ctx.noise, level)
    if email and not exact_email and rng.random() < 0.04 * level:
        email = None
    kind_mail = "work" if not person or e.organization_id or "employee" in e.roles else "personal"
    has_address = e.street is not None and not ctx.nested and rng.random() < (0.75 if src == "ms365" else 0.95)
    created, modified = clock.created_modified(rng)
    return DemoContact(
        source=src, source_id="", entity_id=e.entity_id, kind=e.kind,
        salutation=e.salutation if src in HAS_SALUTATION and person and rng.random() < 0.95 else None,
        title=e.title if src in HAS_TITLE else None,
        first_name=first, last_name=last, company_name=company,
        emails=[(kind_mail, email)] if email else [],
        phones=_phones(rng, e, ctx),
        street=drift.street(rng, e.street, e.house_number) if has_address else None,
        postal_code=e.postal_code if has_address and rng.random() < 0.97 else None,
        city=drift.city(rng, e.city) if has_address else None,
        country=rng.choice(COUNTRY_STYLE[src]) if has_address else None,
        vat_id=drift.vat(rng, e.vat_id) if src in HAS_VAT and rng.random() < 0.9 else None,
        tax_number=e.tax_number if src == "lexware" else None,
        birthday=e.birthday if src in HAS_BIRTHDAY and rng.random() < 0.8 else None,
        roles=_roles(src, e, ctx), customer_number=None, supplier_number=None,
        created_at=created, modified_at=modified,
        container=ctx.container,
        job_title=ctx.job_title.get(e.entity_id) if src == "ms365" else None,
    )
