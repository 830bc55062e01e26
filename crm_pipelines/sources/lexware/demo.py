"""Render the demo world into Lexware Office's JSON shape (contacts and voucherlist items)."""

from __future__ import annotations

from crm_pipelines.demo.model import DemoContact, DemoVoucher, World

_EMAIL_KEYS = {"work": "business", "personal": "private", "other": "other"}
_PHONE_KEYS = {"office": "business", "mobile": "mobile", "home": "private", "fax": "fax"}


def _roles(contact: DemoContact) -> dict:
    roles: dict = {}
    if "customer" in contact.roles or contact.customer_number:
        roles["customer"] = {"number": int(contact.customer_number)} if (contact.customer_number or "").isdigit() else {}
    if "supplier" in contact.roles or contact.supplier_number:
        roles["vendor"] = {"number": int(contact.supplier_number)} if (contact.supplier_number or "").isdigit() else {}
    return roles or {"customer": {}}


def _grouped(pairs: list[tuple[str, str]], keys: dict[str, str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for kind, value in pairs:
        groups.setdefault(keys.get(kind, "other"), []).append(value)
    return groups


def render_contact(contact: DemoContact, persons: list[DemoContact]) -> dict:
    record: dict = {"id": contact.source_id, "organizationId": "aa93e8a8-2aa3-470b-b914-caad8a255dd8",
                    "version": 1, "roles": _roles(contact), "archived": contact.is_deleted}
    if contact.kind == "organization":
        company: dict = {"name": contact.company_name, "allowTaxFreeInvoices": False}
        if contact.tax_number:
            company["taxNumber"] = contact.tax_number
        if contact.vat_id:
            company["vatRegistrationId"] = contact.vat_id
        if persons:
            company["contactPersons"] = [
                {"salutation": p.salutation, "firstName": p.first_name, "lastName": p.last_name,
                 "primary": i == 0, "emailAddress": p.emails[0][1] if p.emails else None,
                 "phoneNumber": p.phones[0][1] if p.phones else None} for i, p in enumerate(persons)]
        record["company"] = company
    else:
        record["person"] = {"salutation": contact.salutation, "firstName": contact.first_name,
                            "lastName": contact.last_name}
    if contact.street or contact.city:
        record["addresses"] = {"billing": [{"street": contact.street, "zip": contact.postal_code,
                                            "city": contact.city, "countryCode": contact.country or "DE"}]}
    if contact.emails:
        record["emailAddresses"] = _grouped(contact.emails, _EMAIL_KEYS)
    if contact.phones:
        record["phoneNumbers"] = _grouped(contact.phones, _PHONE_KEYS)
    return record


def render_contacts(world: World) -> list[dict]:
    records = world.contacts.get("lexware", [])
    persons_of: dict[str, list[DemoContact]] = {}
    for contact in records:
        if contact.parent_source_id:
            persons_of.setdefault(contact.parent_source_id, []).append(contact)
    return [render_contact(c, persons_of.get(c.source_id, [])) for c in records if not c.parent_source_id]


def render_voucher(voucher: DemoVoucher) -> dict:
    return {"id": voucher.source_id, "voucherType": voucher.voucher_type,
            "voucherStatus": voucher.voucher_status, "voucherNumber": voucher.voucher_number,
            "voucherDate": voucher.voucher_date, "createdDate": voucher.created_at,
            "updatedDate": voucher.updated_at, "dueDate": voucher.due_date,
            "contactId": voucher.contact_source_id, "contactName": voucher.contact_name,
            "totalAmount": voucher.total_amount, "openAmount": voucher.open_amount,
            "currency": voucher.currency, "archived": voucher.archived}


def render_account(world: World) -> dict[str, list[dict]]:
    return {"contacts": render_contacts(world), "vouchers": [render_voucher(v) for v in world.vouchers]}
