"""monday.com board items -> raw-table rows and ContactDrafts.

An item is one contact of its board's role (employee, subcontractor, supplier, customer). Column
ids are board-specific, so the connector stores the board's settings with each item under
``_crm`` (board id, role, column id -> canonical field, how to read the item name) and this
module maps through them. A column is read from its typed field (``email``, ``phone``), else its
``text``, else its ``value`` (a JSON string inside the JSON: decoded twice). The item ``name`` is
the contact's name: a person's full name, a company name, or (``auto``) let the core decide.
"""

from __future__ import annotations

import json
from typing import Any

from crm_pipelines.core.draft import ContactDraft
from crm_pipelines.sources.base import Column

CANONICAL_FIELDS = ("email", "email_2", "phone", "mobile", "fax", "company", "first_name", "last_name", "full_name",
                    "salutation", "title", "street", "postal_code", "city", "country", "birthday", "job_title",
                    "department", "vat_id", "customer_number", "supplier_number")
CONTACT_COLUMNS = (
    Column("board_id", "str"),
    Column("role", "str", "the board's role: employee, subcontractor, supplier or customer"),
    Column("name", "str", "item name"),
    Column("email", "str", "the column mapped to email"),
    Column("phone", "str", "the column mapped to phone, else mobile"),
    Column("group_title", "str"),
    Column("item_updated_at", "str", "updated_at as sent (UTC, ISO 8601)"),
)
_WORK_ROLES = {"employee", "subcontractor", "supplier"}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def column_text(cv: dict) -> str | None:
    """The value of one column value: typed field, else ``text``, else the double-decoded ``value``."""
    for key in ("email", "phone", "date"):
        if _text(cv.get(key)):
            return _text(cv[key])
    if _text(cv.get("text")):
        return _text(cv["text"])
    raw = cv.get("value")
    if not raw:
        return None
    try:
        decoded = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return None
    if isinstance(decoded, dict):
        for key in ("email", "phone", "date", "text", "label"):
            if _text(decoded.get(key)):
                return _text(decoded[key])
        return None
    return _text(decoded)


def fields(raw: dict) -> dict[str, str]:
    """canonical field -> value, through the board's column map (first non-empty column wins)."""
    columns = (raw.get("_crm") or {}).get("columns") or {}
    out: dict[str, str] = {}
    for cv in raw.get("column_values") or []:
        canonical = columns.get(str(cv.get("id")))
        value = column_text(cv) if canonical else None
        if canonical and value and canonical not in out:
            out[canonical] = value
    return out


def contact_row(raw: dict) -> dict:
    crm, found = raw.get("_crm") or {}, fields(raw)
    return {"source_id": str(raw["id"]), "board_id": crm.get("board_id") or (raw.get("board") or {}).get("id"),
            "role": crm.get("role"), "name": _text(raw.get("name")), "email": found.get("email"),
            "phone": found.get("phone") or found.get("mobile"),
            "group_title": (raw.get("group") or {}).get("title"), "item_updated_at": raw.get("updated_at")}


def contact_drafts(tenant_id: str, raw: dict) -> list[ContactDraft]:
    crm, found = raw.get("_crm") or {}, fields(raw)
    role, mode, name = crm.get("role"), crm.get("item_name") or "auto", _text(raw.get("name"))
    kind: str | None = None
    company, full_name = found.get("company"), found.get("full_name")
    if mode == "company":
        kind, company = "organization", name or company
    else:
        full_name = full_name or name
        if mode == "full_name" or role == "employee":
            kind = "person"
    work = role in _WORK_ROLES or kind == "organization"
    emails = [("work" if work else "personal", found[k]) for k in ("email", "email_2") if found.get(k)]
    phones = [(slot, found[k]) for k, slot in (("phone", "office" if work else "home"), ("mobile", "mobile"),
                                               ("fax", "fax")) if found.get(k)]
    return [ContactDraft(
        tenant_id=tenant_id, source="monday", source_id=str(raw["id"]), kind=kind,
        salutation=found.get("salutation"), title=found.get("title"), first_name=found.get("first_name"),
        last_name=found.get("last_name"), full_name=full_name if kind != "organization" else None,
        company_name=company, emails=emails, phones=phones, street=found.get("street"),
        postal_code=found.get("postal_code"), city=found.get("city"), country=found.get("country"),
        vat_id=found.get("vat_id"), customer_number=found.get("customer_number"),
        supplier_number=found.get("supplier_number"), roles=[role] if role else [],
        birthday=found.get("birthday"), job_title=found.get("job_title"), department=found.get("department"),
        source_created_at=raw.get("created_at"), source_modified_at=raw.get("updated_at"),
        is_deleted=raw.get("state") in ("archived", "deleted"))]
