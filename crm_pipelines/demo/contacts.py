"""Which entities each source holds, and their records with native ids.

Selection is random per source (its own ``random.Random`` stream, so tuning one source never
reshuffles another). Lexware and weclapp nest contact persons under their organization: picking an
organization brings (some of) its contact persons along, and they count towards the record total.
"""

from __future__ import annotations

import base64
import hashlib
import random
import uuid

from crm_pipelines.demo.model import DemoContact
from crm_pipelines.demo.population import Population
from crm_pipelines.demo.profiles import PARTIES, TenantProfile
from crm_pipelines.demo.render import RenderContext, render

ALL_GROUPS = (*PARTIES, "employee", "contact_person")
HERO_DELETED_RATE = 0.04


def _candidates(rng: random.Random, pop: Population, groups: tuple[str, ...], pinned: list[str]) -> list[str]:
    eligible = [e.entity_id for e in pop.entities if pop.group[e.entity_id] in groups and e.entity_id not in pinned]
    rng.shuffle(eligible)
    return list(pinned) + eligible


def _pick_nested(rng: random.Random, pop: Population, candidates: list[str], count: int) -> list[tuple[str, int]]:
    """(entity id, parent index or -1) in record order; contact persons follow their organization."""
    out: list[tuple[str, int]] = []
    for eid in candidates:
        if len(out) >= count:
            break
        out.append((eid, -1))
        parent = len(out) - 1
        for cp in pop.contact_persons.get(eid, []):
            if len(out) < count and rng.random() < 0.8:
                out.append((cp, parent))
    return out


def _ctx(pop: Population, source: str, noise: bool, **kw) -> RenderContext:
    org_of = {cp: pop.by_id[org] for org, cps in pop.contact_persons.items() for cp in cps}
    return RenderContext(source=source, noise=noise, org_of=org_of, job_title=pop.job_title, **kw)


def _sequential_ids(rng: random.Random, records: list[DemoContact], start: int, max_gap: int = 3) -> None:
    """Numeric ids ascending with creation time, with gaps (deleted or test records)."""
    next_id = start
    for rec in sorted(records, key=lambda r: r.created_at):
        rec.source_id = str(next_id)
        next_id += rng.randint(1, max_gap)


def _nested_source(profile: TenantProfile, pop: Population, source: str, count: int) -> list[DemoContact]:
    rng = random.Random(f"{profile.seed}:{source}")
    pinned = list(pop.shared)
    picks = _pick_nested(rng, pop, _candidates(rng, pop, PARTIES, pinned), count)
    noise = profile.defects.quality_noise
    records = []
    for eid, parent in picks:
        ctx = _ctx(pop, source, noise, nested=parent >= 0)
        rec = render(rng, pop.by_id[eid], ctx, exact_email=eid in pop.shared)
        if parent >= 0 and rec.created_at < records[parent].created_at:
            rec.created_at = records[parent].created_at
            rec.modified_at = max(rec.modified_at, rec.created_at)
        records.append(rec)
    numbers = {"customer": 10001, "supplier": 70001} if source == "lexware" else {"customer": 1001, "supplier": 5001}
    for rec in sorted(records, key=lambda r: r.created_at):
        for role in ("customer", "supplier"):
            if role in rec.roles:
                setattr(rec, f"{role}_number", str(numbers[role]))
                numbers[role] += 1
    if source == "lexware":
        for rec in records:
            rec.source_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        position: dict[int, int] = {}
        for (eid, parent), rec in zip(picks, records):
            if parent >= 0:  # as sources/lexware/mapping.py names nested contact persons: <id>#cp<n>, n from 1
                position[parent] = position.get(parent, 0) + 1
                rec.parent_source_id = records[parent].source_id
                rec.source_id = f"{rec.parent_source_id}#cp{position[parent]}"
    else:
        _sequential_ids(rng, records, rng.randint(4100, 4300))
        for (eid, parent), rec in zip(picks, records):
            if parent >= 0:
                rec.parent_source_id = records[parent].source_id
    return records


def _hero(profile: TenantProfile, pop: Population) -> list[DemoContact]:
    rng = random.Random(f"{profile.seed}:hero")
    ctx = _ctx(pop, "hero", profile.defects.quality_noise)
    records = [render(rng, pop.by_id[eid], ctx) for eid in _candidates(rng, pop, ("customer_person", "customer_org"), [])[: profile.hero]]
    _sequential_ids(rng, records, rng.randint(3000, 3500))
    for n, rec in enumerate(sorted(records, key=lambda r: int(r.source_id))):
        rec.customer_number = str(10001 + n)
        rec.is_deleted = ctx.noise and rng.random() < HERO_DELETED_RATE
    return records


def _monday(profile: TenantProfile, pop: Population) -> list[DemoContact]:
    rng = random.Random(f"{profile.seed}:monday")
    records = []
    for board in profile.boards:
        ctx = _ctx(pop, "monday", profile.defects.quality_noise, container=board.board_id, role=board.role)
        chosen = _candidates(rng, pop, board.groups, [])[: board.count]
        records += [render(rng, pop.by_id[eid], ctx) for eid in chosen]
    ids = rng.sample(range(1_900_000_000, 1_999_999_999), len(records))
    for rec, item_id in zip(sorted(records, key=lambda r: r.created_at), sorted(ids)):
        rec.source_id = str(item_id)
    return records


def _ms365_id(rng: random.Random, upn: str) -> str:
    raw = hashlib.sha256(upn.encode()).digest()[:22] + b"\x00\x46" + rng.randbytes(26)
    return "AAMkA" + base64.urlsafe_b64encode(raw).decode()


def _ms365(profile: TenantProfile, pop: Population) -> list[DemoContact]:
    rng = random.Random(f"{profile.seed}:ms365")
    pool = _candidates(rng, pop, ALL_GROUPS, [])[: profile.ms365_pool]
    records = []
    for mailbox in profile.mailboxes:
        ctx = _ctx(pop, "ms365", profile.defects.quality_noise, container=mailbox.upn)
        for eid in rng.sample(pool, min(mailbox.count, len(pool))):
            rec = render(rng, pop.by_id[eid], ctx)
            rec.source_id = _ms365_id(rng, mailbox.upn)
            records.append(rec)
    return records


def build_contacts(profile: TenantProfile, pop: Population) -> dict[str, list[DemoContact]]:
    """source -> records, for every contact source the profile runs."""
    builders = {
        "hero": lambda: _hero(profile, pop),
        "monday": lambda: _monday(profile, pop),
        "ms365": lambda: _ms365(profile, pop),
        "lexware": lambda: _nested_source(profile, pop, "lexware", profile.lexware),
        "weclapp": lambda: _nested_source(profile, pop, "weclapp", profile.weclapp),
    }
    return {source: builders[source]() for source in profile.record_counts}
