"""Small hand-made Microsoft 365 tenants for client tests (independent of the demo world)."""

from __future__ import annotations

from crm_pipelines.sources.base import ConnectContext
from crm_pipelines.sources.ms365.client import Ms365Connector, Ms365Options
from crm_pipelines.sources.ms365.emulator import Ms365Emulator

AZURE_TENANT = "0f5c2a1e-1111-4b8e-9d3c-5a0e2f7b9c11"
CLIENT_ID = "7d1a9f3e-2222-4c55-8e1b-3f6a0c9d2e77"
SECRET = "s3cr3t~value-0001"
BASE = "http://graph.test"
TOKEN_URL = "http://login.test/{tenant}/oauth2/v2.0/token"
UPN_A, UPN_B = "info@firma.de", "buero@firma.de"


def contact(box: str, i: int) -> dict:
    company = i % 3 == 0
    return {"id": f"AAMkAG{box}{i:05d}=", "createdDateTime": "2024-02-01T10:00:00Z",
            "lastModifiedDateTime": "2024-11-05T13:22:31Z", "changeKey": f"EQAAAB{i:05d}",
            "categories": ["Kunde"] if company else [], "birthday": None if company else "1980-05-17T11:59:00Z",
            "displayName": f"Bau {i} GmbH" if company else f"Max Muster{i}",
            "givenName": None if company else "Max", "surname": None if company else f"Muster{i}",
            "companyName": f"Bau {i} GmbH" if company else None, "jobTitle": None,
            "emailAddresses": [{"name": "x", "address": f"kontakt{i}@{box.lower()}.de"}],
            "businessPhones": ["+49 89 123456"] if company else [], "homePhones": [],
            "mobilePhone": None if company else "+49 170 1234567",
            "businessAddress": {"street": "Hauptstraße 1", "city": "München", "postalCode": "80331",
                                "countryOrRegion": "Deutschland"} if company else {},
            "homeAddress": {}, "otherAddress": {}}


def mailboxes(sizes: dict[str, dict[str, int]]) -> dict[str, dict[str, list[dict]]]:
    """upn -> folder -> count, e.g. {UPN_A: {"contacts": 30, "Baustellen": 5}}."""
    return {upn: {folder: [contact(f"{upn[:2].upper()}{folder[:3].upper()}", i) for i in range(n)]
                  for folder, n in folders.items()} for upn, folders in sizes.items()}


def make_emulator(sizes: dict[str, dict[str, int]] | None = None, tenant: str = "t1", **kwargs) -> Ms365Emulator:
    sizes = sizes or {UPN_A: {"contacts": 30}}
    return Ms365Emulator({tenant: mailboxes(sizes)}, {AZURE_TENANT: (tenant, CLIENT_ID, SECRET)}, **kwargs)


def connect(emulator, base_url=BASE, token_url=TOKEN_URL, secret=SECRET, sleeps=(), **options) -> Ms365Connector:
    """``sleeps``: a list collecting the waits instead of sleeping (default: no waiting); None: real sleep."""
    options.setdefault("mailboxes", [UPN_A])
    options.setdefault("requests_per_second_per_mailbox", 1000.0)
    real = base_url.startswith("http://127.")  # over a socket: no in-process transport
    return Ms365Connector(ConnectContext(
        tenant_id="t1", base_url=base_url,
        credentials={"tenant_id": AZURE_TENANT, "client_id": CLIENT_ID, "client_secret": secret},
        options=Ms365Options(**options), transport=None if real else emulator.transport(),
        sleep=None if sleeps is None else (sleeps.append if isinstance(sleeps, list) else (lambda s: None)),
        extra_urls={"token_url": token_url}))


def subfolder_ids(emulator, upn: str, tenant: str = "t1") -> list[str]:
    default = emulator.store.default[(tenant, upn.lower())]
    return [fid for fid in emulator.store.folders[tenant][upn.lower()] if fid != default]
