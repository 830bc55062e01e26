"""Microsoft Graph contacts -> typed raw-table rows and ContactDrafts.

The connector adds two keys to each Graph contact: ``_mailbox`` (the mailbox UPN) and ``_folder``
(the folder as configured: ``contacts`` or a subfolder id). Outlook contacts have no type: one
with a given name or surname is a person (``companyName`` is their employer); one with only a
company (and a display name equal to it, or none) is an organization; one with only a display
name is left for the core to infer (``full_name``). E-mail addresses are untyped in Outlook:
``work`` when the contact has a company, else ``other``. Categories become roles where they
name one (German or English).
"""

from __future__ import annotations

from crm_pipelines.core.draft import ContactDraft
from crm_pipelines.sources.base import Column

CONTACT_COLUMNS = (
    Column("mailbox", "str", "UPN of the mailbox holding the contact"),
    Column("folder", "str", "'contacts' (default folder) or the subfolder id"),
    Column("display_name", "str"),
    Column("given_name", "str"),
    Column("surname", "str"),
    Column("company_name", "str"),
    Column("email", "str", "first e-mail address"),
    Column("job_title", "str"),
    Column("last_modified", "str", "lastModifiedDateTime, ISO 8601 UTC"),
    Column("change_key", "str", "changes on every edit"),
)

CATEGORY_ROLES = {"kunde": "customer", "kunden": "customer", "customer": "customer", "lieferant": "supplier",
                  "supplier": "supplier", "vendor": "supplier", "subunternehmer": "subcontractor",
                  "subcontractor": "subcontractor", "mitarbeiter": "employee", "employee": "employee",
                  "partner": "partner", "lead": "lead", "interessent": "lead"}


def _emails(raw: dict) -> list[str]:
    return [e["address"] for e in raw.get("emailAddresses") or [] if isinstance(e, dict) and e.get("address")]


def contact_row(raw: dict) -> dict:
    emails = _emails(raw)
    return {"source_id": str(raw["id"]), "mailbox": raw.get("_mailbox"), "folder": raw.get("_folder"),
            "display_name": raw.get("displayName"), "given_name": raw.get("givenName"),
            "surname": raw.get("surname"), "company_name": raw.get("companyName"),
            "email": emails[0] if emails else None, "job_title": raw.get("jobTitle"),
            "last_modified": raw.get("lastModifiedDateTime"), "change_key": raw.get("changeKey")}


def _address(raw: dict) -> dict:
    for key in ("businessAddress", "homeAddress", "otherAddress"):
        address = raw.get(key) or {}
        if isinstance(address, dict) and any(address.get(k) for k in ("street", "city", "postalCode")):
            return {"street": address.get("street"), "postal_code": address.get("postalCode"),
                    "city": address.get("city"), "country": address.get("countryOrRegion")}
    return {}


def _kind(raw: dict) -> str | None:
    if raw.get("givenName") or raw.get("surname"):
        return "person"
    company, display = raw.get("companyName"), raw.get("displayName")
    if company and (not display or display.strip() == company.strip()):
        return "organization"
    return None


def contact_drafts(tenant_id: str, raw: dict) -> list[ContactDraft]:
    kind = _kind(raw)
    company = raw.get("companyName") or None
    phones = ([("office", p) for p in raw.get("businessPhones") or [] if p]
              + [("home", p) for p in raw.get("homePhones") or [] if p]
              + ([("mobile", raw["mobilePhone"])] if raw.get("mobilePhone") else []))
    roles = []
    for category in raw.get("categories") or []:
        role = CATEGORY_ROLES.get(str(category).strip().lower())
        if role and role not in roles:
            roles.append(role)
    common = dict(tenant_id=tenant_id, source="ms365", source_id=str(raw["id"]), kind=kind,
                  company_name=company, emails=[("work" if company else "other", e) for e in _emails(raw)],
                  phones=phones, roles=roles, source_created_at=raw.get("createdDateTime"),
                  source_modified_at=raw.get("lastModifiedDateTime"), **_address(raw))
    if kind == "organization":
        return [ContactDraft(**common)]
    return [ContactDraft(title=raw.get("title") or None, first_name=raw.get("givenName") or None,
                         last_name=raw.get("surname") or None,
                         full_name=None if kind == "person" else raw.get("displayName") or None,
                         birthday=raw.get("birthday"), job_title=raw.get("jobTitle") or None,
                         department=raw.get("department") or None, **common)]
