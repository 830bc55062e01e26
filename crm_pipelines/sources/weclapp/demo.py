"""Render the demo world into weclapp's JSON shapes (party, task, user), every field present.

Contact persons are PERSON parties of their own with ``parentPartyId`` pointing at the
organization. Timestamps and birth dates are epoch milliseconds (birth dates at Berlin midnight).
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from crm_pipelines.demo.model import DemoContact, DemoTask, DemoUser, World
from crm_pipelines.sources.weclapp.emulator import ENTITY_FIELDS

BERLIN = ZoneInfo("Europe/Berlin")
SALUTATIONS = {"Herr": "MR", "Frau": "MRS"}


def epoch_ms(iso: str | None) -> int | None:
    return None if not iso else int(datetime.fromisoformat(iso).timestamp() * 1000)


def birth_ms(iso_date: str | None) -> int | None:
    if not iso_date:
        return None
    return int(datetime.combine(date.fromisoformat(iso_date), time(), BERLIN).timestamp() * 1000)


def _full(entity: str, values: dict) -> dict:
    return {**{name: None for name in sorted(ENTITY_FIELDS[entity])}, **values}


def _first(pairs: list[tuple[str, str]], *kinds: str) -> str | None:
    return next((value for kind, value in pairs if kind in kinds), None)


def render_party(contact: DemoContact) -> dict:
    org = contact.kind == "organization"
    emails = [value for _, value in contact.emails]
    addresses = []
    if contact.street or contact.city:
        addresses.append({"id": f"{contact.source_id}01", "street1": contact.street, "street2": None,
                          "zipcode": contact.postal_code, "city": contact.city, "state": None,
                          "countryCode": contact.country or "DE", "company": contact.company_name if org else None,
                          "firstName": None, "lastName": None, "phoneNumber": None, "salutation": None,
                          "primaryAddress": True, "invoiceAddress": True, "deliveryAddress": True})
    return _full("party", {
        "id": contact.source_id, "version": "1" if contact.modified_at != contact.created_at else "0",
        "createdDate": epoch_ms(contact.created_at), "lastModifiedDate": epoch_ms(contact.modified_at),
        "partyType": "ORGANIZATION" if org else "PERSON",
        "company": contact.company_name if org else None,
        "salutation": None if org else SALUTATIONS.get(contact.salutation or "", contact.salutation),
        "firstName": None if org else contact.first_name, "lastName": None if org else contact.last_name,
        "birthDate": birth_ms(contact.birthday),
        "email": emails[0] if emails else None, "emailHome": emails[1] if len(emails) > 1 else None,
        "phone": _first(contact.phones, "office"), "phoneHome": _first(contact.phones, "home"),
        "mobilePhone1": _first(contact.phones, "mobile"), "fax": _first(contact.phones, "fax"),
        "customer": "customer" in contact.roles, "customerNumber": contact.customer_number,
        "customerBlocked": False,
        "supplier": "supplier" in contact.roles, "supplierNumber": contact.supplier_number,
        "parentPartyId": contact.parent_source_id,
        "primaryAddressId": addresses[0]["id"] if addresses else None,
        "vatIdentificationNumber": contact.vat_id, "tags": [], "onlineAccounts": [],
        "addresses": addresses, "customAttributes": []})


def render_task(task: DemoTask) -> dict:
    return _full("task", {
        "id": task.source_id, "version": "1", "createdDate": task.created_ms, "lastModifiedDate": task.modified_ms,
        "subject": task.subject, "description": None, "identifier": f"T-{task.source_id}",
        "taskStatus": task.status, "taskPriority": task.priority, "taskVisibilityType": "ORGANIZATION",
        "customerId": task.customer_source_id,
        "assignees": [{"userId": u, "plannedEffort": None} for u in task.assignee_user_ids],
        "watchers": [], "creatorUserId": task.assignee_user_ids[0] if task.assignee_user_ids else None,
        "dateFrom": task.date_from_ms, "dateTo": task.date_to_ms, "allowTimeBooking": True,
        "allowOverBooking": False, "taskLists": [], "taskTopics": [], "taskTypes": [], "entityReferences": []})


def render_user(user: DemoUser, stamp: int) -> dict:
    return _full("user", {
        "id": user.source_id, "version": "0", "createdDate": stamp, "lastModifiedDate": stamp,
        "firstName": user.first_name, "lastName": user.last_name, "email": user.email,
        "username": user.email, "status": "ACTIVE" if user.active else "NOT_ACTIVE", "userRoles": []})


def render_account(world: World) -> dict[str, list[dict]]:
    tasks = [render_task(t) for t in world.tasks]
    first = min((t["createdDate"] for t in tasks), default=1_700_000_000_000) - 86_400_000
    return {"party": [render_party(c) for c in world.contacts.get("weclapp", [])], "task": tasks,
            "user": [render_user(u, first) for u in world.users]}
