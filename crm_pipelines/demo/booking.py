"""Cal.com team event types and the booking app's companies, services and mapping rows.

Service ids are ``company_id * 100 + n`` and mapping ids ``company_id * 1000 + n``, so rows of all
tenants fit in one booking database without clashes; event type ids are ``team_id * 100 + n``.
"""

from __future__ import annotations

import random
from crm_pipelines.demo import clock
from crm_pipelines.demo.model import (DemoCompany, DemoEventType, DemoMapping, DemoService, Defects,
                                      Entity)
from crm_pipelines.demo.names import slug
from crm_pipelines.demo.profiles import TenantProfile

EVENT_TYPES = {
    "bau": (("Erstberatung", 30), ("Aufmaß vor Ort", 60), ("Badplanung", 90), ("Angebotsbesprechung", 45),
            ("Baustellenbegehung", 60), ("Abnahme", 60), ("Küchenplanung", 90), ("Fliesenberatung", 45),
            ("Elektro-Check", 60), ("Heizungsberatung", 45), ("Dachinspektion", 60), ("Fensterberatung", 45),
            ("Energieberatung", 60), ("Besichtigung Malerarbeiten", 30), ("Reklamation vor Ort", 45),
            ("Wartungstermin Heizung", 60), ("Bauzeitenplanung", 30), ("Rückruf", 15)),
    "agentur": (("Erstgespräch", 30), ("Strategie-Workshop", 120), ("SEO-Audit Besprechung", 60),
                ("Social-Media-Beratung", 45), ("Kampagnen-Review", 60), ("Website-Relaunch Kickoff", 90),
                ("Content-Planung", 60), ("Branding-Workshop", 180), ("Google Ads Check", 30),
                ("Newsletter-Beratung", 30), ("Fotoshooting Briefing", 45), ("Reporting-Termin", 30),
                ("Jahresplanung", 120), ("Texter-Briefing", 30), ("Pitch-Präsentation", 60),
                ("Quartalsreview", 60), ("Support-Call", 15), ("Onboarding", 60)),
    "salon": (("Haarschnitt Damen", 60), ("Haarschnitt Herren", 30), ("Färben", 120), ("Strähnchen", 150),
              ("Föhnen & Styling", 45), ("Brautfrisur", 120)),
}
EXTRA_SERVICES = ("Notdienst (telefonisch)", "Materialabholung", "Gutachten")


def event_types(rng: random.Random, profile: TenantProfile, employees: list[Entity]) -> list[DemoEventType]:
    team = profile.calcom_team_id
    if not team:
        return []
    hosts_pool = [{"userId": team * 10 + i, "name": f"{e.first_name} {e.last_name}",
                   "username": slug(f"{e.first_name}-{e.last_name}")} for i, e in enumerate(employees[:6], 1)]
    out = []
    for n, (title, length) in enumerate(EVENT_TYPES[profile.industry][: profile.event_types], 1):
        scheduling = rng.choice(("roundRobin", "roundRobin", "collective", None, "managed" if n % 7 == 0 else None))
        k = 1 if scheduling is None else rng.randint(2, min(3, len(hosts_pool)))
        out.append(DemoEventType(
            event_type_id=team * 100 + n, team_id=team, title=title, slug=slug(title), length_minutes=length,
            scheduling_type=scheduling, hosts=[dict(h) for h in rng.sample(hosts_pool, min(k, len(hosts_pool)))],
        ))
    return out


def booking(rng: random.Random, profile: TenantProfile, types: list[DemoEventType]
            ) -> tuple[list[DemoCompany], list[DemoService], list[DemoMapping], Defects]:
    """The tenant's company, one service per event type (+ extras without one) and the mapping rows."""
    defects = Defects()
    cid = profile.booking_company_id
    if cid is None:
        return [], [], [], defects
    spec = profile.defects
    company = DemoCompany(company_id=cid, tenant_id=profile.tenant_id, name=profile.name,
                          calcom_team_id=profile.calcom_team_id)
    mapped = list(range(len(types)))
    rng.shuffle(mapped)
    never = set(mapped[: spec.never_services])
    pending = set(mapped[spec.never_services: spec.never_services + spec.pending_services])
    services, mappings = [], []
    for n, et in enumerate(types):
        sid = cid * 100 + n + 1
        status = "never" if n in never else "pending" if n in pending else "synced"
        synced_at = clock.iso(clock.past(rng, 2, 0.1)) if status == "synced" else None
        services.append(DemoService(service_id=sid, company_id=cid, name=et.title, calcom_event_type_id=et.event_type_id,
                                    sync_status=status, last_calcom_sync=synced_at, sync_error=None))
        mappings.append(DemoMapping(mapping_id=cid * 1000 + n + 1, company_id=cid, service_id=sid,
                                    calcom_event_type_id=et.event_type_id, calcom_team_id=et.team_id))
        if status != "synced":
            defects.unsynced_service_ids.append(sid)
    for extra in EXTRA_SERVICES[: profile.services_without_event_type]:
        services.append(DemoService(service_id=cid * 100 + len(services) + 1, company_id=cid, name=extra,
                                    calcom_event_type_id=None, sync_status="never", last_calcom_sync=None,
                                    sync_error=None))
    order = list(range(len(mappings)))
    rng.shuffle(order)
    for idx in order[: spec.null_team_mappings]:
        mappings[idx].calcom_team_id = None
        defects.null_team_mapping_ids.append(mappings[idx].mapping_id)
    if spec.cross_tenant_team_id is not None:
        idx = order[spec.null_team_mappings]
        mappings[idx].calcom_team_id = spec.cross_tenant_team_id
        defects.cross_tenant_mapping_ids.append(mappings[idx].mapping_id)
    for ids in (defects.unsynced_service_ids, defects.null_team_mapping_ids, defects.cross_tenant_mapping_ids):
        ids.sort()
    return [company], services, mappings, defects
