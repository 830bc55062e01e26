"""Render the demo world's HERO contacts into HERO's GraphQL ``Customer`` JSON shape."""

from __future__ import annotations

from crm_pipelines.demo.model import DemoContact, World


def _first(pairs: list[tuple[str, str]], *kinds: str) -> str | None:
    return next((value for kind, value in pairs if kind in kinds), None)


def render_contact(contact: DemoContact) -> dict:
    organization = contact.kind == "organization"
    has_address = any((contact.street, contact.postal_code, contact.city))
    person = " ".join(p for p in (contact.first_name, contact.last_name) if p)
    return {
        "id": int(contact.source_id), "nr": contact.customer_number,
        "type": "commercial_customer" if organization else "customer", "category": "customer",
        "title": contact.salutation, "title_custom": contact.title,
        "first_name": None if organization else contact.first_name,
        "last_name": None if organization else contact.last_name,
        "company_name": contact.company_name if organization else None,
        "full_name": contact.company_name if organization else person,
        "email": contact.emails[0][1] if contact.emails else None,
        "phone_home": _first(contact.phones, "office", "home"), "phone_mobile": _first(contact.phones, "mobile"),
        "phone_fax": _first(contact.phones, "fax"), "birth_date": contact.birthday,
        "position": contact.job_title, "parent_customer_id": None, "is_contact_person": False,
        "is_invoice_recipient": True, "source": None, "partner_notes": None,
        "created": contact.created_at, "modified": contact.modified_at, "is_deleted": contact.is_deleted,
        "address": {"street": contact.street, "zipcode": contact.postal_code, "city": contact.city,
                    "country": {"name": contact.country or "Deutschland"}} if has_address else None,
    }


def render_account(world: World) -> list[dict]:
    return [render_contact(c) for c in world.contacts.get("hero", [])]
