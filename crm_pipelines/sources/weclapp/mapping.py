"""weclapp raw records (party, task, user) -> typed raw-table rows, and parties -> ContactDrafts.

A party is an ORGANIZATION (name in ``company``) or a PERSON; roles are the boolean flags
``customer``/``supplier``, not the party type. A PERSON with ``parentPartyId`` is a contact
person of that organization. Timestamps are epoch milliseconds: drafts get them as ISO 8601 UTC,
birth dates as the calendar date in Berlin (weclapp stores the local midnight).
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from crm_pipelines.core.draft import ContactDraft
from crm_pipelines.sources.base import Column

BERLIN = ZoneInfo("Europe/Berlin")

CONTACT_COLUMNS = (
    Column("party_type", "str", "ORGANIZATION or PERSON"),
    Column("name", "str", "company, or 'first last' for persons"),
    Column("customer", "bool"),
    Column("supplier", "bool"),
    Column("customer_number", "str"),
    Column("supplier_number", "str"),
    Column("email", "str"),
    Column("parent_party_id", "str", "the organization of a contact person"),
    Column("last_modified", "int", "lastModifiedDate, epoch ms"),
    Column("version", "str"),
)

TASK_COLUMNS = (
    Column("subject", "str"),
    Column("task_status", "str", "NOT_STARTED, IN_PROGRESS, COMPLETED, WAITING_ON_OTHERS, DEFERRED"),
    Column("task_priority", "str", "HIGH, MEDIUM, LOW"),
    Column("customer_id", "str", "weclapp party id"),
    Column("assignee_user_ids", "json", "user ids of the assignees"),
    Column("date_from", "int", "epoch ms"),
    Column("date_to", "int", "epoch ms"),
    Column("last_modified", "int", "lastModifiedDate, epoch ms"),
)

USER_COLUMNS = (
    Column("first_name", "str"),
    Column("last_name", "str"),
    Column("email", "str"),
    Column("status", "str", "ACTIVE or NOT_ACTIVE"),
    Column("last_modified", "int", "lastModifiedDate, epoch ms"),
)


def _str(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _name(raw: dict) -> str | None:
    if raw.get("partyType") == "ORGANIZATION":
        return raw.get("company")
    return " ".join(p for p in (raw.get("firstName"), raw.get("lastName")) if p) or raw.get("company")


def contact_row(raw: dict) -> dict:
    return {"source_id": str(raw["id"]), "party_type": raw.get("partyType"), "name": _name(raw),
            "customer": bool(raw.get("customer")), "supplier": bool(raw.get("supplier")),
            "customer_number": _str(raw.get("customerNumber")), "supplier_number": _str(raw.get("supplierNumber")),
            "email": raw.get("email"), "parent_party_id": _str(raw.get("parentPartyId")),
            "last_modified": raw.get("lastModifiedDate"), "version": _str(raw.get("version"))}


def task_row(raw: dict) -> dict:
    return {"source_id": str(raw["id"]), "subject": raw.get("subject"), "task_status": raw.get("taskStatus"),
            "task_priority": raw.get("taskPriority"), "customer_id": _str(raw.get("customerId")),
            "assignee_user_ids": [str(a["userId"]) for a in raw.get("assignees") or []
                                  if isinstance(a, dict) and a.get("userId") is not None],
            "date_from": raw.get("dateFrom"), "date_to": raw.get("dateTo"),
            "last_modified": raw.get("lastModifiedDate")}


def user_row(raw: dict) -> dict:
    return {"source_id": str(raw["id"]), "first_name": raw.get("firstName"), "last_name": raw.get("lastName"),
            "email": raw.get("email"), "status": raw.get("status"), "last_modified": raw.get("lastModifiedDate")}


def iso_utc(ms: object) -> str | None:
    if not isinstance(ms, (int, float)) or isinstance(ms, bool):
        return None
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="seconds")


def birth_date(ms: object) -> str | None:
    if not isinstance(ms, (int, float)) or isinstance(ms, bool):
        return None
    return datetime.fromtimestamp(ms / 1000, BERLIN).date().isoformat()


def _address(raw: dict) -> dict:
    addresses = [a for a in raw.get("addresses") or [] if isinstance(a, dict)]
    chosen = next((a for a in addresses if a.get("primaryAddress") or a.get("id") == raw.get("primaryAddressId")),
                  addresses[0] if addresses else None)
    if chosen is None:
        return {}
    street = " ".join(s for s in (chosen.get("street1"), chosen.get("street2")) if s) or None
    return {"street": street, "postal_code": chosen.get("zipcode"), "city": chosen.get("city"),
            "country": chosen.get("countryCode")}


def contact_drafts(tenant_id: str, raw: dict) -> list[ContactDraft]:
    org = raw.get("partyType") == "ORGANIZATION"
    parent = _str(raw.get("parentPartyId"))
    roles = [r for r in ("customer", "supplier") if raw.get(r)] + (["contact_person"] if parent else [])
    business = org or bool(parent) or bool(raw.get("company"))
    emails = [(kind, raw[key]) for key, kind in (("email", "work" if business else "personal"),
                                                  ("emailHome", "personal")) if raw.get(key)]
    phones = [(kind, raw[key]) for key, kind in (("phone", "office"), ("phoneHome", "home"), ("mobilePhone1", "mobile"),
                                                  ("mobilePhone2", "mobile"), ("fax", "fax")) if raw.get(key)]
    company = " ".join(c for c in (raw.get("company"), raw.get("company2")) if c) or None
    common = dict(
        tenant_id=tenant_id, source="weclapp", source_id=str(raw["id"]), emails=emails, phones=phones,
        roles=roles, company_name=company, vat_id=raw.get("vatIdentificationNumber"),
        customer_number=_str(raw.get("customerNumber")), supplier_number=_str(raw.get("supplierNumber")),
        parent_source_id=parent, source_created_at=iso_utc(raw.get("createdDate")),
        source_modified_at=iso_utc(raw.get("lastModifiedDate")), **_address(raw))
    if org:
        return [ContactDraft(kind="organization", **common)]
    return [ContactDraft(kind="person", salutation=raw.get("salutation"), first_name=raw.get("firstName"),
                         last_name=raw.get("lastName"), birthday=birth_date(raw.get("birthDate")), **common)]
