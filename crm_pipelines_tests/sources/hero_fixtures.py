"""Small hand-made HERO accounts for client tests (independent of the demo world)."""

from __future__ import annotations

from crm_pipelines.sources.base import ConnectContext
from crm_pipelines.sources.hero.client import HeroConnector, HeroOptions
from crm_pipelines.sources.hero.emulator import HeroEmulator

KEY = "hero-test-key-0001"


def make_contacts(n: int, start: int = 4000) -> list[dict]:
    contacts = []
    for i in range(n):
        base = {"id": start + 2 * i, "nr": str(10001 + i), "category": "customer", "is_deleted": i % 10 == 9,
                "created": "2024-03-01T09:00:00+01:00", "modified": f"2025-0{1 + i % 9}-02T10:00:00+01:00",
                "address": {"street": f"Hauptstraße {i}", "zipcode": "80331", "city": "München",
                            "country": {"name": "Deutschland"}}}
        if i % 4 == 0:
            base.update(type="commercial_customer", company_name=f"Bau {i} GmbH", email=f"info@bau{i}.de",
                        phone_home="+49 89 123456")
        else:
            base.update(type="customer", title="Herr", first_name="Max", last_name=f"Muster{i}",
                        email=f"max{i}@example.de", phone_mobile="0171 1234567")
        contacts.append(base)
    return contacts


def make_emulator(n: int = 30, tenant: str = "t1", **kwargs) -> HeroEmulator:
    return HeroEmulator({tenant: make_contacts(n)}, {KEY: tenant}, **kwargs)


def connect(emulator, base_url="http://hero.test", fast=True, key=KEY, **options) -> HeroConnector:
    defaults = {"requests_per_second": 1000.0} if fast else {}
    return HeroConnector(ConnectContext(
        tenant_id="t1", base_url=base_url, credentials={"api_key": key},
        options=HeroOptions(**{**defaults, **options}),
        transport=None if base_url.startswith("http://127.") else emulator.transport(),
        sleep=(lambda s: None) if fast else None))
