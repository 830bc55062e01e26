"""Non-contact business objects: Lexware vouchers, weclapp users and tasks."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from crm_pipelines.demo import clock
from crm_pipelines.demo.model import DemoContact, DemoTask, DemoUser, DemoVoucher, Entity
from crm_pipelines.demo.names import slug

TYPES = (("invoice", 35), ("salesinvoice", 8), ("purchaseinvoice", 25), ("creditnote", 5),
         ("quotation", 17), ("orderconfirmation", 10))
STATUSES = {
    "invoice": (("draft", 4), ("open", 12), ("overdue", 8), ("paid", 60), ("paidoff", 8), ("voided", 4)),
    "salesinvoice": (("open", 15), ("paid", 70), ("paidoff", 10), ("voided", 5)),
    "purchaseinvoice": (("open", 15), ("overdue", 5), ("paid", 70), ("paidoff", 7), ("voided", 3)),
    "creditnote": (("draft", 5), ("open", 20), ("paidoff", 70), ("voided", 5)),
    "quotation": (("draft", 10), ("open", 35), ("accepted", 45), ("voided", 10)),
    "orderconfirmation": (("draft", 10), ("open", 80), ("voided", 10)),
}
PREFIX = {"invoice": "RE", "salesinvoice": "RE", "creditnote": "GS", "quotation": "AG", "orderconfirmation": "AB"}
AMOUNTS = {"bau": (250, 48000), "agentur": (400, 18000), "salon": (25, 480)}
COLLECTIVE_SHARE = {"bau": 0.06, "agentur": 0.04, "salon": 0.35}
TASK_SUBJECTS = {
    "bau": ("Angebot nachfassen", "Aufmaß Badsanierung", "Material bestellen", "Abnahmeprotokoll erstellen",
            "Rückruf Kunde", "Termin Fliesenleger abstimmen", "Nachtragsangebot schreiben", "Baustelle räumen",
            "Rechnung prüfen", "Gewährleistungsmangel prüfen", "Schlussrechnung erstellen", "Aufmaß Dachgeschoss"),
    "agentur": ("Angebot nachfassen", "Briefing abstimmen", "Korrekturschleife Website", "Social-Media-Plan",
                "Reporting Q3 senden", "Kickoff vorbereiten", "Texte freigeben lassen", "Rechnung prüfen",
                "Newsletter versenden", "Fotos auswählen", "Kampagne auswerten", "Vertrag verlängern"),
}
TASK_STATUSES = (("NOT_STARTED", 30), ("IN_PROGRESS", 25), ("COMPLETED", 30), ("WAITING_ON_OTHERS", 10),
                 ("DEFERRED", 5))
PRIORITIES = (("HIGH", 25), ("MEDIUM", 50), ("LOW", 25))


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _display_name(rec: DemoContact) -> str:
    return rec.company_name or " ".join(p for p in (rec.first_name, rec.last_name) if p) or "Unbekannt"


def vouchers(rng: random.Random, industry: str, contacts: list[DemoContact], count: int) -> list[DemoVoucher]:
    """Vouchers over the last two years; every contact id is a top-level Lexware contact of this tenant."""
    customers = [c for c in contacts if "customer" in c.roles and c.parent_source_id is None]
    suppliers = [c for c in contacts if "supplier" in c.roles and c.parent_source_id is None]
    low, high = AMOUNTS[industry]
    drafts = []
    for _ in range(count):
        vtype = _weighted(rng, TYPES)
        status = _weighted(rng, STATUSES[vtype])
        recent = status in ("draft", "open", "overdue")
        day = clock.past(rng, 75 if recent else 730, 16 if status == "overdue" else 0)
        day = day.replace(hour=0, minute=0, second=0)
        pool = suppliers if vtype == "purchaseinvoice" else customers
        contact = None if not pool or rng.random() < COLLECTIVE_SHARE[industry] else rng.choice(pool)
        drafts.append((day, vtype, status, contact))
    drafts.sort(key=lambda d: d[0])
    sequence: dict[tuple[str, int], int] = {}
    out = []
    for day, vtype, status, contact in drafts:
        if vtype in PREFIX:
            key = (PREFIX[vtype], day.year)
            sequence[key] = sequence.get(key, 0) + 1
            number = f"{key[0]}-{day.year}-{sequence[key]:04d}"
        else:
            number = rng.choice((f"R{rng.randint(100000, 999999)}", f"{day.year}-{rng.randint(1000, 9999)}",
                                 f"INV-{rng.randint(10000, 99999)}"))
        total = round(rng.uniform(low, high) * (0.2 if vtype == "creditnote" else 1.0), 2)
        due = None
        if vtype in ("invoice", "salesinvoice", "purchaseinvoice", "creditnote"):
            due = day + timedelta(days=rng.choice((14, 14, 30)))
            if status == "open" and due < clock.NOW:
                status = "overdue"
            if status == "overdue" and due >= clock.NOW:
                status = "open"
        if vtype in ("quotation", "orderconfirmation"):
            open_amount = None
        elif status in ("open", "overdue"):
            open_amount = total if rng.random() < 0.8 else round(total * rng.uniform(0.1, 0.9), 2)
        else:
            open_amount = total if status == "draft" else 0.0
        created = min(day + timedelta(hours=rng.randint(7, 18), minutes=rng.randint(0, 59)), clock.NOW)
        updated = clock.between(rng, created, min(clock.NOW, created + timedelta(days=60)))
        collective = "Sammellieferant" if vtype == "purchaseinvoice" else "Sammelkunde"
        out.append(DemoVoucher(
            source_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), voucher_type=vtype,
            voucher_status=status, voucher_number=number, voucher_date=clock.iso(day),
            created_at=clock.iso(created), updated_at=clock.iso(updated),
            due_date=clock.iso(due) if due else None,
            contact_source_id=contact.source_id if contact else None,
            contact_name=_display_name(contact) if contact else collective,
            total_amount=total, open_amount=open_amount,
            archived=status in ("paid", "paidoff") and day < clock.NOW - timedelta(days=400) and rng.random() < 0.3,
        ))
    return out


def users(rng: random.Random, employees: list[Entity], count: int) -> list[DemoUser]:
    """weclapp users: the first ``count`` employees; the last one has left the company (inactive)."""
    out, next_id = [], rng.randint(10, 20)
    for i, e in enumerate(employees[:count]):
        email = e.email or f"{slug(e.first_name or 'x')}.{slug(e.last_name or 'y')}@example.invalid"
        out.append(DemoUser(source_id=str(next_id), first_name=e.first_name or "", last_name=e.last_name or "",
                            email=email, active=not (count > 4 and i == count - 1)))
        next_id += rng.randint(1, 4)
    return out


def tasks(rng: random.Random, industry: str, parties: list[DemoContact], team: list[DemoUser],
          count: int) -> list[DemoTask]:
    """weclapp tasks; every customer id is a top-level party of this tenant's weclapp, or None."""
    customers = [p for p in parties if p.parent_source_id is None and p.roles != ["contact_person"]]
    active = [u for u in team if u.active] or team
    out, next_id = [], rng.randint(9001, 9100)
    for _ in range(count):
        created = clock.past(rng, 500, 1)
        modified = clock.between(rng, created)
        start = clock.between(rng, created) if rng.random() < 0.7 else None
        end = start + timedelta(days=rng.randint(0, 14)) if start and rng.random() < 0.8 else None
        customer = rng.choice(customers) if customers and rng.random() < 0.8 else None
        out.append(DemoTask(
            source_id=str(next_id), subject=rng.choice(TASK_SUBJECTS[industry]),
            status=_weighted(rng, TASK_STATUSES), priority=_weighted(rng, PRIORITIES),
            customer_source_id=customer.source_id if customer else None,
            assignee_user_ids=[u.source_id for u in rng.sample(active, min(len(active), rng.choice((1, 1, 2))))],
            date_from_ms=clock.epoch_ms(start) if start else None, date_to_ms=clock.epoch_ms(end) if end else None,
            created_ms=clock.epoch_ms(created), modified_ms=clock.epoch_ms(modified),
        ))
        next_id += rng.randint(1, 5)
    return out
