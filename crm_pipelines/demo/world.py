"""Build the deterministic demo worlds: ground truth plus every source's drifted records.

``build_world(profile)`` depends only on the profile (its seed): ``random.Random`` streams and a
per-tenant seeded ``Faker('de_DE')``, with every timestamp derived from ``clock.NOW``
(2026-11-01T08:00:00+01:00), never the wall clock. ``demo_worlds()`` builds all three once.
"""

from __future__ import annotations

import functools
import random

from faker import Faker

from crm_pipelines.demo import booking, business
from crm_pipelines.demo.contacts import build_contacts
from crm_pipelines.demo.model import World
from crm_pipelines.demo.population import build_population
from crm_pipelines.demo.profiles import PROFILES, TenantProfile


def build_world(profile: TenantProfile) -> World:
    """The tenant's world; two calls with the same profile give equal worlds."""
    fake = Faker("de_DE")
    fake.seed_instance(profile.seed)
    pop = build_population(profile, random.Random(profile.seed), fake)
    contacts = build_contacts(profile, pop)
    used = {c.entity_id for recs in contacts.values() for c in recs}
    keep = used | {pop.by_id[eid].organization_id for eid in used if pop.by_id[eid].organization_id}
    entities = [e for e in pop.entities if e.entity_id in keep]
    employees = [e for e in pop.entities if pop.group[e.entity_id] == "employee"]

    rng = random.Random(f"{profile.seed}:business")
    vouchers = business.vouchers(rng, profile.industry, contacts.get("lexware", []), profile.vouchers)
    users = business.users(rng, employees, profile.users) if "weclapp" in contacts else []
    tasks = business.tasks(rng, profile.industry, contacts.get("weclapp", []), users, profile.tasks) if users else []

    rng = random.Random(f"{profile.seed}:booking")
    types = booking.event_types(rng, profile, employees)
    companies, services, mappings, defects = booking.booking(rng, profile, types)
    return World(
        tenant_id=profile.tenant_id, seed=profile.seed, entities=entities, contacts=contacts,
        vouchers=vouchers, users=users, tasks=tasks, calcom_team_id=profile.calcom_team_id,
        event_types=types, companies=companies, services=services, mappings=mappings, defects=defects,
    )


def demo_profiles() -> list[TenantProfile]:
    """The three demo tenants: bau-mueller, agentur-weber, salon-schneider."""
    return list(PROFILES)


@functools.lru_cache(maxsize=1)
def _worlds() -> tuple[World, ...]:
    return tuple(build_world(p) for p in PROFILES)


def demo_worlds() -> dict[str, World]:
    """tenant_id -> World for every demo tenant, built once per process (treat them as read-only)."""
    return {w.tenant_id: w for w in _worlds()}
