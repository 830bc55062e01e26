"""Render the demo world's Outlook contacts into Microsoft Graph's contact shape, per mailbox.

Every contact sits in its mailbox's default Contacts folder. Outlook has no contact type:
an organization is a contact with only ``companyName``/``displayName``. Empty addresses are
``{}`` and empty phone lists ``[]``, as Graph sends them; birthdays carry Outlook's 11:59 UTC.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone

from crm_pipelines.demo.model import DemoContact, World
from crm_pipelines.sources.ms365.mailstore import DEFAULT_FOLDER

_CATEGORIES = {"customer": "Kunde", "supplier": "Lieferant", "subcontractor": "Subunternehmer",
               "employee": "Mitarbeiter", "partner": "Partner"}


def utc(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_contact(c: DemoContact) -> dict:
    person = c.kind == "person"
    display = " ".join(p for p in (c.first_name, c.last_name) if p) if person else c.company_name
    address = {k: v for k, v in (("street", c.street), ("city", c.city), ("postalCode", c.postal_code),
                                 ("countryOrRegion", c.country)) if v}
    business = not person or bool(c.company_name)
    change_key = base64.b64encode(hashlib.sha256(f"{c.source_id}{c.modified_at}".encode()).digest()[:12]).decode()
    return {
        "id": c.source_id, "createdDateTime": utc(c.created_at), "lastModifiedDateTime": utc(c.modified_at),
        "changeKey": change_key, "categories": [_CATEGORIES[r] for r in c.roles if r in _CATEGORIES],
        "birthday": f"{c.birthday}T11:59:00Z" if c.birthday else None,
        "fileAs": display or "", "displayName": display or "", "givenName": c.first_name if person else None,
        "initials": None, "middleName": None, "nickName": None, "surname": c.last_name if person else None,
        "title": c.title, "yomiGivenName": None, "yomiSurname": None, "yomiCompanyName": None, "generation": None,
        "imAddresses": [], "jobTitle": c.job_title, "companyName": c.company_name, "department": None,
        "officeLocation": None, "profession": None, "businessHomePage": None, "assistantName": None,
        "manager": None, "spouseName": None, "personalNotes": "", "children": [],
        "emailAddresses": [{"name": display or value, "address": value} for _, value in c.emails],
        "homePhones": [v for k, v in c.phones if k == "home"],
        "mobilePhone": next((v for k, v in c.phones if k == "mobile"), None),
        "businessPhones": [v for k, v in c.phones if k in ("office", "other")],
        "homeAddress": {} if business else address, "businessAddress": address if business else {},
        "otherAddress": {},
    }


def render_mailboxes(world: World) -> dict[str, dict[str, list[dict]]]:
    """upn -> {"contacts": [Graph contacts]} for this tenant."""
    boxes: dict[str, dict[str, list[dict]]] = {}
    for contact in world.contacts.get("ms365", []):
        boxes.setdefault(contact.container or "", {DEFAULT_FOLDER: []})[DEFAULT_FOLDER].append(render_contact(contact))
    return boxes
