"""HERO contacts (GraphQL ``Customer``) -> raw-table rows and ContactDrafts.

A HERO contact is a private customer (``type: customer``), a company (``commercial_customer``,
``supplier``, ``partner``), a contact person of a company (``contact_person`` /
``is_contact_person``, linked through ``parent_customer_id``) or an ``employee``. A company record
that also names a person (first/last name: its "Ansprechpartner") gives an organization draft
plus a person draft ``<id>#person`` pointing at it. ``title`` is HERO's salutation field
("Herr", "Frau"); an academic title comes in ``title_custom``. Deleted contacts
(``is_deleted: true``) stay as tombstones (``is_deleted`` drafts).
"""

from __future__ import annotations

from crm_pipelines.core.draft import ContactDraft
from crm_pipelines.sources.base import Column

CONTACT_COLUMNS = (
    Column("type", "str", "customer, commercial_customer, supplier, partner, contact_person, employee"),
    Column("category", "str", "customer, supplier, partner, other, contact"),
    Column("nr", "str", "HERO customer number, as sent"),
    Column("name", "str", "company name, else 'first last'"),
    Column("email", "str"),
    Column("city", "str"),
    Column("modified", "str", "last change, ISO 8601 as sent"),
)

ORG_TYPES = {"commercial_customer", "supplier", "partner"}
_ROLE_OF_TYPE = {"supplier": "supplier", "partner": "partner", "employee": "employee",
                 "contact_person": "contact_person"}
_ROLE_OF_CATEGORY = {"customer": "customer", "supplier": "supplier", "partner": "partner", "other": "other",
                     "contact": "contact_person"}


def _text(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _person_name(raw: dict) -> str | None:
    return " ".join(p for p in (_text(raw.get("first_name")), _text(raw.get("last_name"))) if p) or None


def contact_row(raw: dict) -> dict:
    """``is_deleted`` is the raw table's own column: HERO's soft delete becomes a tombstone row."""
    address = raw.get("address") or {}
    return {"source_id": str(raw["id"]), "type": raw.get("type"), "category": raw.get("category"),
            "nr": _text(raw.get("nr")), "name": _text(raw.get("company_name")) or _person_name(raw),
            "email": _text(raw.get("email")), "city": _text(address.get("city")),
            "modified": raw.get("modified"),
            "is_deleted": bool(raw.get("is_deleted"))}


def is_organization(raw: dict) -> bool:
    if raw.get("is_contact_person") or raw.get("type") in ("contact_person", "employee"):
        return False
    if raw.get("type") in ORG_TYPES:
        return bool(_text(raw.get("company_name"))) or not _person_name(raw)
    return bool(_text(raw.get("company_name"))) and not _person_name(raw)


def roles(raw: dict) -> list[str]:
    out = []
    for role in (_ROLE_OF_TYPE.get(raw.get("type") or ""), _ROLE_OF_CATEGORY.get(raw.get("category") or "")):
        if role and role not in out:
            out.append(role)
    if raw.get("is_contact_person") and "contact_person" not in out:
        out.append("contact_person")
    return out or ["customer"]


def _address(raw: dict) -> dict:
    address = raw.get("address") or {}
    return {"street": _text(address.get("street")), "postal_code": _text(address.get("zipcode")),
            "city": _text(address.get("city")), "country": _text((address.get("country") or {}).get("name"))}


def contact_drafts(tenant_id: str, raw: dict) -> list[ContactDraft]:
    source_id, organization = str(raw["id"]), is_organization(raw)
    work = organization or raw.get("type") in ("contact_person", "employee") or bool(raw.get("is_contact_person"))
    emails = [("work" if work else "personal", raw["email"])] if _text(raw.get("email")) else []
    phones = [(slot, raw[key]) for key, slot in (("phone_home", "office" if work else "home"),
                                                 ("phone_mobile", "mobile"), ("phone_fax", "fax"))
              if _text(raw.get(key))]
    role_list = roles(raw)
    common = {"tenant_id": tenant_id, "source": "hero", "is_deleted": bool(raw.get("is_deleted")),
              "source_created_at": raw.get("created"), "source_modified_at": raw.get("modified")}
    number = {"supplier_number" if "supplier" in role_list else "customer_number": _text(raw.get("nr"))}
    parent = raw.get("parent_customer_id")
    if not organization:
        return [ContactDraft(
            source_id=source_id, kind="person", salutation=_text(raw.get("title")),
            title=_text(raw.get("title_custom")), first_name=_text(raw.get("first_name")),
            last_name=_text(raw.get("last_name")), company_name=_text(raw.get("company_name")),
            emails=emails, phones=phones, roles=role_list, birthday=_text(raw.get("birth_date")),
            job_title=_text(raw.get("position")), parent_source_id=str(parent) if parent else None,
            **_address(raw), **number, **common)]
    drafts = [ContactDraft(source_id=source_id, kind="organization", company_name=_text(raw.get("company_name")),
                           emails=emails, phones=phones, roles=role_list, **_address(raw), **number, **common)]
    if _person_name(raw):
        drafts.append(ContactDraft(
            source_id=f"{source_id}#person", kind="person", salutation=_text(raw.get("title")),
            title=_text(raw.get("title_custom")), first_name=_text(raw.get("first_name")),
            last_name=_text(raw.get("last_name")), company_name=_text(raw.get("company_name")),
            roles=["contact_person"], parent_source_id=source_id, **common))
    return drafts
