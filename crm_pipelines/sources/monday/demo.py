"""Render the demo world's monday.com contacts into boards: columns per board role, items on top.

Column ids are board-specific, as on real boards (``e_mail`` here, ``email_1`` there), so the
connector maps them through the per-board column map in the tenant's options; ``board_options``
gives exactly that map for a demo tenant (the YAML block of ``demo_tenants.yaml`` copies it).
"""

from __future__ import annotations

import datetime as dt

from crm_pipelines.demo.model import DemoContact, World
from crm_pipelines.demo.profiles import PROFILES

# role -> [(column id, type, title, canonical field or None)]
BOARD_COLUMNS: dict[str, list[tuple[str, str, str, str | None]]] = {
    "employee": [("e_mail", "email", "E-Mail", "email"), ("telefon", "phone", "Telefon", "phone"),
                 ("mobil", "phone", "Mobil", "mobile"), ("geburtstag", "date", "Geburtstag", "birthday"),
                 ("text_strasse", "text", "Straße", "street"), ("text_plz", "text", "PLZ", "postal_code"),
                 ("text_ort", "text", "Ort", "city"), ("status", "status", "Status", None)],
    "subcontractor": [("email", "email", "E-Mail", "email"), ("phone", "phone", "Telefon", "phone"),
                      ("phone_1", "phone", "Mobil", "mobile"), ("text4", "text", "Firma", "company"),
                      ("text_1", "text", "Straße", "street"), ("text_2", "text", "PLZ", "postal_code"),
                      ("text_3", "text", "Ort", "city"), ("status", "status", "Gewerk", None)],
    "supplier": [("email_1", "email", "E-Mail", "email"), ("phone_2", "phone", "Telefon", "phone"),
                 ("text_7", "text", "Straße", "street"), ("text_8", "text", "PLZ", "postal_code"),
                 ("text_9", "text", "Ort", "city"), ("long_text", "long_text", "Notizen", None)],
    "customer": [("email", "email", "E-Mail", "email"), ("phone", "phone", "Telefon", "phone"),
                 ("phone_mobil", "phone", "Handy", "mobile"), ("date4", "date", "Geburtstag", "birthday"),
                 ("text_strasse", "text", "Straße", "street"), ("text_plz", "text", "PLZ", "postal_code"),
                 ("text_ort", "text", "Ort", "city")],
}
ITEM_NAME = {"employee": "full_name", "customer": "full_name", "supplier": "company", "subcontractor": "auto"}
_STATUS = {"employee": ("Aktiv",), "subcontractor": ("Elektro", "Sanitär", "Trockenbau", "Maler", "Fliesen")}


def _utc(stamp: str) -> str:
    return dt.datetime.fromisoformat(stamp).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _values(contact: DemoContact, role: str, n: int) -> dict[str, str | None]:
    fields = {"email": contact.emails[0][1] if contact.emails else None, "street": contact.street,
              "postal_code": contact.postal_code, "city": contact.city, "birthday": contact.birthday,
              "company": contact.company_name if contact.kind == "person" else None}
    canon = {c for *_, c in BOARD_COLUMNS[role]}
    for kind, number in contact.phones:
        fields["mobile" if kind == "mobile" and "mobile" in canon else "phone"] = number
    values = {cid: fields.get(canonical) for cid, _, _, canonical in BOARD_COLUMNS[role] if canonical}
    if role in _STATUS:
        values["status"] = _STATUS[role][n % len(_STATUS[role])]
    return values


def render_board(board_id: str, title: str, role: str, contacts: list[DemoContact]) -> dict:
    newest_first = sorted(contacts, key=lambda c: c.created_at, reverse=True)
    items = []
    for n, contact in enumerate(newest_first):
        person = " ".join(p for p in (contact.first_name, contact.last_name) if p)
        items.append({"id": contact.source_id, "name": contact.company_name if contact.kind == "organization"
                      else person or contact.company_name or "?", "created_at": _utc(contact.created_at),
                      "updated_at": _utc(contact.modified_at), "state": "deleted" if contact.is_deleted else "active",
                      "group": {"id": "topics", "title": title}, "position": float(n),
                      "values": _values(contact, role, n)})
    return {"id": board_id, "name": title, "role": role,
            "columns": [{"id": cid, "type": kind, "title": col_title} for cid, kind, col_title, _ in BOARD_COLUMNS[role]],
            "items": items}


def render_account(world: World) -> dict[str, dict]:
    profile = next(p for p in PROFILES if p.tenant_id == world.tenant_id)
    contacts = world.contacts.get("monday", [])
    return {b.board_id: render_board(b.board_id, b.title, b.role, [c for c in contacts if c.container == b.board_id])
            for b in profile.boards}


def board_options(tenant_id: str) -> list[dict]:
    """The ``boards`` option of a demo tenant: ids, roles, column maps, how to read item names."""
    profile = next(p for p in PROFILES if p.tenant_id == tenant_id)
    return [{"board_id": b.board_id, "role": b.role, "item_name": ITEM_NAME[b.role],
             "columns": {cid: canonical for cid, _, _, canonical in BOARD_COLUMNS[b.role] if canonical}}
            for b in profile.boards]
