"""Ground truth: the real people and organizations a tenant deals with (``Entity`` records)."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from faker import Faker

from crm_pipelines.demo import addresses, names
from crm_pipelines.demo.model import Entity
from crm_pipelines.demo.profiles import TenantProfile

ORG_VOCAB = {
    "bau": {"customer_org": names.CUSTOMER_ORGS, "supplier_org": names.SUPPLIER_ORGS,
            "subcontractor_org": names.TRADES},
    "agentur": {"customer_org": names.AGENCY_CLIENTS, "supplier_org": names.AGENCY_SUPPLIERS,
                "subcontractor_org": names.AGENCY_SUPPLIERS},
    "salon": {"customer_org": names.CUSTOMER_ORGS, "supplier_org": names.SALON_SUPPLIERS,
              "subcontractor_org": names.SALON_SUPPLIERS},
}
ROLES = {"customer_person": ["customer"], "customer_org": ["customer"], "supplier_org": ["supplier"],
         "subcontractor_org": ["subcontractor"], "freelancer": ["subcontractor"], "employee": ["employee"],
         "contact_person": ["contact_person"], "shared_org": ["supplier"], "shared_person": ["supplier"]}
SHARED_ORGS = ("IT-Service", "Büroservice", "Druckerei", "Gebäudereinigung", "Fotostudio", "Webdesign")
SHARED_SEED = 20261101


@dataclass
class Population:
    entities: list[Entity] = field(default_factory=list)
    group: dict[str, str] = field(default_factory=dict)  # entity_id -> group (see profiles.GROUPS)
    contact_persons: dict[str, list[str]] = field(default_factory=dict)  # org entity_id -> person ids
    job_title: dict[str, str] = field(default_factory=dict)
    shared: list[str] = field(default_factory=list)  # entity ids shared with another tenant
    by_id: dict[str, Entity] = field(default_factory=dict)


class _Maker:
    def __init__(self, profile: TenantProfile, rng: random.Random, fake: Faker, emails: set[str]):
        self.profile, self.rng, self.fake, self.emails = profile, rng, fake, emails

    def unique_email(self, email: str) -> str:
        local, domain = email.split("@")
        candidate, n = email, 1
        while candidate in self.emails:
            n += 1
            candidate = f"{local}{n}@{domain}"
        self.emails.add(candidate)
        return candidate

    def address(self) -> dict:
        city, plz = addresses.pick_city(self.rng, self.profile.region)
        return {"street": self.rng.choice(addresses.STREETS), "house_number": addresses.house_number(self.rng),
                "postal_code": plz, "city": city}

    def person(self, eid: str, group: str, domain: str | None = None, org: Entity | None = None) -> Entity:
        rng = self.rng
        salutation, first, last = names.person_name(rng, self.fake)
        adr = self.address() if org is None else dict.fromkeys(("street", "house_number", "postal_code", "city"))
        email = names.person_email(rng, first, last, domain) if rng.random() < 0.93 or domain else None
        birthday = None
        if group == "employee" and rng.random() < 0.8 or group == "customer_person" and rng.random() < 0.25:
            birthday = (date(1950, 1, 1) + timedelta(days=rng.randint(0, 52 * 365))).isoformat()
        if org is not None:
            phone = org.phone + str(rng.randint(10, 89)) if org.phone and rng.random() < 0.7 else None
        else:
            phone = addresses.landline(rng, adr["city"]) if rng.random() < 0.6 else None
        freelancer = group in ("freelancer", "shared_person")
        return Entity(
            entity_id=eid, kind="person", salutation=salutation, title=names.academic_title(rng),
            first_name=first, last_name=last, company_name=None, legal_form=None,
            email=self.unique_email(email) if email else None, phone=phone,
            mobile=addresses.mobile(rng) if rng.random() < (0.8 if org is None else 0.4) else None,
            **adr, country="DE",
            vat_id=names.vat_id(rng) if freelancer and rng.random() < 0.5 else None,
            tax_number=names.tax_number(rng, self.profile.region) if freelancer and rng.random() < 0.6 else None,
            birthday=birthday, roles=list(ROLES[group]), organization_id=org.entity_id if org else None,
        )

    def organization(self, eid: str, group: str, vocab: tuple[str, ...]) -> Entity:
        rng = self.rng
        name, form = names.company(rng, self.fake, vocab)
        adr = self.address()
        domain = names.company_domain(name, form)
        local = rng.choice(("info", "info", "kontakt", "office", "buchhaltung", "service"))
        return Entity(
            entity_id=eid, kind="organization", salutation=None, title=None, first_name=None, last_name=None,
            company_name=name, legal_form=form, email=self.unique_email(f"{local}@{domain}"),
            phone=addresses.landline(rng, adr["city"]), mobile=None, **adr, country="DE",
            vat_id=names.vat_id(rng) if rng.random() < 0.8 else None,
            tax_number=names.tax_number(rng, self.profile.region) if rng.random() < 0.5 else None,
            birthday=None, roles=list(ROLES[group]),
        )


@functools.lru_cache(maxsize=4)
def _shared_templates(count: int) -> tuple[tuple[str, Entity], ...]:
    """The suppliers and freelancers that several tenants share (identical e-mail addresses)."""
    from crm_pipelines.demo.profiles import BAU_MUELLER

    rng, fake = random.Random(SHARED_SEED), Faker("de_DE")
    fake.seed_instance(SHARED_SEED)
    maker = _Maker(BAU_MUELLER, rng, fake, set())
    out = []
    for i in range(count):
        if i % 2 == 0:
            out.append(("supplier_org", maker.organization(f"S{i}", "shared_org", SHARED_ORGS)))
        else:
            out.append(("freelancer", maker.person(f"S{i}", "shared_person")))
    return tuple(out)


def build_population(profile: TenantProfile, rng: random.Random, fake: Faker) -> Population:
    pop, maker = Population(), _Maker(profile, rng, fake, set())
    counter = iter(range(1, 100_000))

    def add(entity: Entity, group: str) -> Entity:
        pop.entities.append(entity)
        pop.group[entity.entity_id] = group
        pop.by_id[entity.entity_id] = entity
        return entity

    def next_id() -> str:
        return f"{profile.tenant_id}/E{next(counter):04d}"

    shared = _shared_templates(profile.shared_entities)
    maker.emails.update(template.email for _, template in shared)
    vocab = ORG_VOCAB[profile.industry]
    for group, n in profile.population.items():
        for _ in range(n):
            if group.endswith("_org"):
                org = add(maker.organization(next_id(), group, vocab[group]), group)
                domain = names.company_domain(org.company_name, org.legal_form)
                k = min(3, int(rng.random() * 2 * profile.contact_persons_per_org + 0.5))
                pop.contact_persons[org.entity_id] = []
                for _ in range(k):
                    cp = add(maker.person(next_id(), "contact_person", domain, org), "contact_person")
                    pop.contact_persons[org.entity_id].append(cp.entity_id)
                    pop.job_title[cp.entity_id] = rng.choice(names.JOB_TITLES)
            else:
                add(maker.person(next_id(), group, profile.domain if group == "employee" else None), group)
    for group, template in shared:
        entity = add(Entity(**{**template.__dict__, "entity_id": next_id(), "roles": list(template.roles)}), group)
        pop.contact_persons[entity.entity_id] = []
        pop.shared.append(entity.entity_id)
    return pop
