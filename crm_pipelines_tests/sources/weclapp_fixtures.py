"""Small hand-made weclapp accounts for client tests (independent of the demo world)."""

from __future__ import annotations

import uuid

from crm_pipelines.sources.base import ConnectContext
from crm_pipelines.sources.weclapp.client import WeclappConnector, WeclappOptions
from crm_pipelines.sources.weclapp.demo import _full
from crm_pipelines.sources.weclapp.emulator import WeclappEmulator

TOKEN = "wc-test-token-0001"
T0 = 1_730_000_000_000
HOUR = 3_600_000


def make_parties(n: int, same_stamp: int = 0) -> list[dict]:
    """``n`` parties an hour apart; the first ``same_stamp`` of them share one timestamp."""
    parties = []
    for i in range(n):
        stamp = T0 if i < same_stamp else T0 + i * HOUR
        if i % 4 == 0:
            values = {"partyType": "ORGANIZATION", "company": f"Firma {i:04d} GmbH", "customer": True,
                      "customerNumber": f"K-{10000 + i}", "supplier": False, "email": f"info@firma{i}.de",
                      "phone": "+49 89 123456", "vatIdentificationNumber": "DE136695976",
                      "addresses": [{"id": f"{5000 + i}", "street1": "Hauptstraße 1", "zipcode": "80331",
                                     "city": "München", "countryCode": "DE", "primaryAddress": True}]}
        elif i % 4 == 1:
            values = {"partyType": "PERSON", "salutation": "MRS", "firstName": "Eva", "lastName": f"Muster{i}",
                      "parentPartyId": str(1000 + i - 1), "email": f"eva{i}@firma{i - 1}.de", "customer": False,
                      "supplier": False, "addresses": []}
        else:
            values = {"partyType": "PERSON", "salutation": "MR", "firstName": "Max", "lastName": f"Mann{i}",
                      "customer": i % 2 == 0, "supplier": i % 2 == 1, "supplierNumber": f"L-{i}",
                      "mobilePhone1": f"0171 {1000000 + i}", "birthDate": 327_366_000_000, "addresses": []}
        parties.append(_full("party", {"id": str(1000 + i), "version": "0", "createdDate": stamp,
                                       "lastModifiedDate": stamp, "tags": [], **values}))
    return parties


def make_tasks(n: int) -> list[dict]:
    return [_full("task", {"id": str(9000 + i), "version": "1", "createdDate": T0, "lastModifiedDate": T0 + i * HOUR,
                           "subject": f"Aufgabe {i}", "taskStatus": "IN_PROGRESS", "taskPriority": "HIGH",
                           "customerId": str(1000 + (i % 10) * 4), "assignees": [{"userId": "12", "plannedEffort": 3600}],
                           "dateFrom": T0 + 86_400_000, "dateTo": None}) for i in range(n)]


def make_users(n: int) -> list[dict]:
    return [_full("user", {"id": str(10 + i), "version": "0", "createdDate": T0, "lastModifiedDate": T0 + i,
                           "firstName": "Anna", "lastName": f"Team{i}", "email": f"anna{i}@firma.de",
                           "status": "ACTIVE"}) for i in range(n)]


def make_emulator(parties: int = 30, tasks: int = 12, users: int = 4, same_stamp: int = 0, tenant: str = "t1",
                  **kwargs) -> WeclappEmulator:
    account = {"party": make_parties(parties, same_stamp), "task": make_tasks(tasks), "user": make_users(users)}
    return WeclappEmulator({tenant: account}, {TOKEN: tenant}, **kwargs)


def connect(emulator, base_url=None, token=TOKEN, sleeps=None, **options) -> WeclappConnector:
    """A connector with no real sleeping (``sleeps`` collects the waits); a fresh base URL per call
    unless given, so the process-wide per-tenant request slots never leak between tests."""
    base_url = base_url or f"http://t{uuid.uuid4().hex[:8]}.weclapp.test/webapp/api/v2"
    real = base_url.startswith("http://127.")
    return WeclappConnector(ConnectContext(
        tenant_id="t1", base_url=base_url, credentials={"api_token": token}, options=WeclappOptions(**options),
        transport=None if real else emulator.transport(),
        sleep=None if sleeps is None and real else (sleeps.append if sleeps is not None else (lambda s: None))))
