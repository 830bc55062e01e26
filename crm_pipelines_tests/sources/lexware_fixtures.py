"""Small hand-made Lexware accounts for client tests (independent of the demo world)."""

from __future__ import annotations

import uuid

from crm_pipelines.sources.lexware.emulator import LexwareEmulator

KEY = "test-key-0001"


def make_contacts(n: int) -> list[dict]:
    contacts = []
    for i in range(n):
        cid = str(uuid.UUID(int=i + 1))
        if i % 3 == 0:
            contacts.append({"id": cid, "version": 1, "roles": {"customer": {"number": 10000 + i}},
                             "company": {"name": f"Firma {i:04d} GmbH", "vatRegistrationId": "DE136695976",
                                         "contactPersons": [{"salutation": "Frau", "firstName": "Eva",
                                                             "lastName": f"Muster{i}", "primary": True,
                                                             "emailAddress": f"eva{i}@firma{i}.de"}]},
                             "addresses": {"billing": [{"street": "Hauptstr. 1", "zip": "80331", "city": "München",
                                                        "countryCode": "DE"}]},
                             "emailAddresses": {"business": [f"info@firma{i}.de"]}, "archived": False})
        else:
            contacts.append({"id": cid, "version": 1, "roles": {"vendor": {"number": 70000 + i}},
                             "person": {"salutation": "Herr", "firstName": "Max", "lastName": f"Mustermann{i}"},
                             "phoneNumbers": {"mobile": [f"0171 {1000000 + i}"]}, "archived": False})
    return contacts


def make_vouchers(contacts: list[dict], n: int) -> list[dict]:
    vouchers = []
    for i in range(n):
        day = f"2026-{1 + i % 10:02d}-{1 + i % 28:02d}"
        vouchers.append({"id": str(uuid.UUID(int=10_000 + i)), "voucherType": "invoice",
                         "voucherStatus": "open" if i % 2 else "paid", "voucherNumber": f"RE{1000 + i}",
                         "voucherDate": f"{day}T00:00:00.000+02:00", "createdDate": f"{day}T08:00:00.000+02:00",
                         "updatedDate": f"{day}T09:00:00.000+02:00", "dueDate": None,
                         "contactId": contacts[i % len(contacts)]["id"], "contactName": "x",
                         "totalAmount": 100.0 + i, "openAmount": "50,00" if i % 2 else 0, "currency": "EUR",
                         "archived": False})
    return vouchers


def make_emulator(contacts: int = 30, vouchers: int = 20, tenant: str = "t1", **kwargs) -> LexwareEmulator:
    people = make_contacts(contacts)
    return LexwareEmulator({tenant: {"contacts": people, "vouchers": make_vouchers(people, vouchers)}},
                           {KEY: tenant}, **kwargs)
