"""Lexware Office raw records -> typed raw-table rows, and contacts -> ContactDrafts.

A Lexware contact is either a ``company`` (with ``contactPersons``) or a ``person``. A company
becomes one organization draft plus one person draft per contact person (``<id>#cp<n>``), linked
through ``parent_source_id``: a contact person is a person of that company, not the company.
Empty lists and sub-objects may be missing entirely, so every lookup is defensive.
"""

from __future__ import annotations

from typing import Any

from crm_pipelines.core.draft import ContactDraft
from crm_pipelines.sources.base import Column

CONTACT_COLUMNS = (
    Column("kind", "str", "company or person"),
    Column("name", "str", "company name or 'first last'"),
    Column("customer_number", "str"),
    Column("vendor_number", "str"),
    Column("email", "str", "first e-mail address of any type"),
    Column("archived", "bool"),
    Column("version", "int", "Lexware's optimistic-locking version"),
)

VOUCHER_COLUMNS = (
    Column("voucher_type", "str"),
    Column("voucher_status", "str"),
    Column("voucher_number", "str"),
    Column("voucher_date", "str", "ISO 8601 as sent"),
    Column("due_date", "str"),
    Column("contact_id", "str", "Lexware contact id; empty for collective contacts"),
    Column("contact_name", "str"),
    Column("total_amount", "float"),
    Column("open_amount", "float"),
    Column("currency", "str"),
    Column("archived", "bool"),
    Column("updated_date", "str"),
)

_EMAIL_TYPES = {"business": "work", "office": "work", "private": "personal", "other": "other"}
_PHONE_TYPES = {"business": "office", "office": "office", "mobile": "mobile", "private": "home",
                "fax": "fax", "other": "other"}


def _number(roles: dict, role: str) -> str | None:
    value = (roles.get(role) or {}).get("number") if isinstance(roles.get(role), dict) else None
    return None if value is None else str(value)


def _first_email(raw: dict) -> str | None:
    for values in (raw.get("emailAddresses") or {}).values():
        if values:
            return values[0]
    return None


def contact_row(raw: dict) -> dict:
    company, person = raw.get("company"), raw.get("person")
    roles = raw.get("roles") or {}
    if company:
        name = company.get("name")
    else:
        name = " ".join(p for p in ((person or {}).get("firstName"), (person or {}).get("lastName")) if p)
    return {"source_id": str(raw["id"]), "kind": "company" if company else "person", "name": name,
            "customer_number": _number(roles, "customer"), "vendor_number": _number(roles, "vendor"),
            "email": _first_email(raw), "archived": bool(raw.get("archived")),
            "version": raw.get("version")}


def parse_amount(value: Any) -> float | None:
    """Amounts come as numbers, and from some accounts as strings ("99,80" or "99.80")."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace(" ", "")
    if "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".")
    return float(text.replace(",", "."))


def voucher_row(raw: dict) -> dict:
    return {"source_id": str(raw["id"]), "voucher_type": raw.get("voucherType"),
            "voucher_status": raw.get("voucherStatus"), "voucher_number": raw.get("voucherNumber"),
            "voucher_date": raw.get("voucherDate"), "due_date": raw.get("dueDate"),
            "contact_id": raw.get("contactId"), "contact_name": raw.get("contactName"),
            "total_amount": parse_amount(raw.get("totalAmount")),
            "open_amount": parse_amount(raw.get("openAmount")), "currency": raw.get("currency"),
            "archived": bool(raw.get("archived")), "updated_date": raw.get("updatedDate")}


def _typed(groups: dict | None, mapping: dict[str, str]) -> list[tuple[str, str]]:
    out = []
    for key, values in (groups or {}).items():
        for value in values or []:
            if value:
                out.append((mapping.get(key, "other"), value))
    return out


def _address(raw: dict) -> dict:
    addresses = raw.get("addresses") or {}
    for kind in ("billing", "shipping"):
        for address in addresses.get(kind) or []:
            return {"street": address.get("street"), "postal_code": address.get("zip"),
                    "city": address.get("city"), "country": address.get("countryCode")}
    return {}


def contact_drafts(tenant_id: str, raw: dict) -> list[ContactDraft]:
    roles = raw.get("roles") or {}
    role_names = [name for name, key in (("customer", "customer"), ("supplier", "vendor")) if key in roles]
    common = {"tenant_id": tenant_id, "source": "lexware", "is_deleted": bool(raw.get("archived")),
              "customer_number": _number(roles, "customer"), "supplier_number": _number(roles, "vendor")}
    source_id = str(raw["id"])
    company, person = raw.get("company"), raw.get("person")
    emails = _typed(raw.get("emailAddresses"), _EMAIL_TYPES)
    phones = _typed(raw.get("phoneNumbers"), _PHONE_TYPES)
    if not company:
        person = person or {}
        return [ContactDraft(source_id=source_id, kind="person", salutation=person.get("salutation"),
                             first_name=person.get("firstName"), last_name=person.get("lastName"),
                             emails=emails, phones=phones, roles=role_names, **_address(raw), **common)]
    drafts = [ContactDraft(source_id=source_id, kind="organization", company_name=company.get("name"),
                           vat_id=company.get("vatRegistrationId"), tax_number=company.get("taxNumber"),
                           emails=emails, phones=phones, roles=role_names, **_address(raw), **common)]
    for n, cp in enumerate(company.get("contactPersons") or [], start=1):
        drafts.append(ContactDraft(
            tenant_id=tenant_id, source="lexware", source_id=f"{source_id}#cp{n}", kind="person",
            salutation=cp.get("salutation"), first_name=cp.get("firstName"), last_name=cp.get("lastName"),
            company_name=company.get("name"),
            emails=[("work", cp["emailAddress"])] if cp.get("emailAddress") else [],
            phones=[("office", cp["phoneNumber"])] if cp.get("phoneNumber") else [],
            roles=["contact_person"], parent_source_id=source_id, is_deleted=bool(raw.get("archived"))))
    return drafts
