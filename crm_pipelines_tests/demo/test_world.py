"""The demo world: deterministic, sized as profiled, fully covered by ground truth, defects exact."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest
from stdnum.de import vat

from crm_pipelines.demo.clock import NOW
from crm_pipelines.demo.model import Defects, World
from crm_pipelines.demo.profiles import TenantProfile
from crm_pipelines.demo.world import build_world, demo_profiles, demo_worlds

PROFILES = {p.tenant_id: p for p in demo_profiles()}
TENANTS = sorted(PROFILES)


def _within(actual: int, expected: int) -> bool:
    return abs(actual - expected) <= 0.1 * expected


def _sources_of(world: World) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for source, recs in world.contacts.items():
        for rec in recs:
            out[rec.entity_id].add(source)
    return out


def _digest() -> str:
    return hashlib.sha256(repr(sorted(demo_worlds().items())).encode()).hexdigest()


def test_three_tenants() -> None:
    assert TENANTS == ["agentur-weber", "bau-mueller", "salon-schneider"]
    assert {p.calcom_team_id for p in PROFILES.values()} == {4101, 4202, 4303}


@pytest.mark.parametrize("tenant", TENANTS)
def test_deterministic(tenant: str) -> None:
    assert build_world(PROFILES[tenant]) == build_world(PROFILES[tenant])


def test_deterministic_across_processes() -> None:
    code = "from crm_pipelines_tests.demo.test_world import _digest; print(_digest())"
    env = {**os.environ, "PYTHONHASHSEED": "4711"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == _digest()




@pytest.mark.parametrize("tenant", TENANTS)
def test_sizes_match_profile(tenant: str) -> None:
    profile: TenantProfile = PROFILES[tenant]
    world = demo_worlds()[tenant]
    assert set(world.contacts) == set(profile.record_counts)
    for source, expected in profile.record_counts.items():
        assert _within(len(world.contacts[source]), expected), source
    for container in (*profile.mailboxes, *profile.boards):
        key = getattr(container, "upn", None) or getattr(container, "board_id", None)
        held = [c for recs in world.contacts.values() for c in recs if c.container == key]
        assert _within(len(held), container.count), key
    assert _within(len(world.vouchers), profile.vouchers)
    assert _within(len(world.tasks), profile.tasks)
    assert len(world.users) == profile.users
    assert len(world.event_types) == profile.event_types


@pytest.mark.parametrize("tenant", TENANTS)
def test_truth_covers_every_record(tenant: str) -> None:
    world = demo_worlds()[tenant]
    truth = world.truth()
    assert len(truth) == sum(len(recs) for recs in world.contacts.values())
    entity_ids = {e.entity_id for e in world.entities}
    assert set(truth.values()) <= entity_ids
    orgs = {e.organization_id for e in world.entities if e.organization_id}
    assert entity_ids == set(truth.values()) | orgs
    assert all(eid.startswith(f"{tenant}/") for eid in entity_ids)


@pytest.mark.parametrize("tenant", TENANTS)
def test_ids_unique_and_native(tenant: str) -> None:
    world = demo_worlds()[tenant]
    for source, recs in world.contacts.items():
        ids = [c.source_id for c in recs]
        assert len(ids) == len(set(ids)), source
        for c in recs:
            if source in ("hero", "weclapp"):
                assert c.source_id.isdigit()
            elif source == "monday":
                assert c.source_id.isdigit() and len(c.source_id) == 10 and c.container
            elif source == "ms365":
                assert c.source_id.startswith("AAMk") and "@" in (c.container or "")
            elif source == "lexware":
                base, _, pos = c.source_id.partition("#")
                assert uuid.UUID(base).version == 4
                assert pos == "" if c.parent_source_id is None else (base == c.parent_source_id and pos.startswith("cp"))
    per_container = defaultdict(list)
    for source, recs in world.contacts.items():
        for c in recs:
            per_container[(source, c.container)].append(c.entity_id)
    assert all(len(v) == len(set(v)) for v in per_container.values())


@pytest.mark.parametrize("tenant", TENANTS)
def test_contact_persons_point_at_their_organization(tenant: str) -> None:
    world = demo_worlds()[tenant]
    entities = {e.entity_id: e for e in world.entities}
    for recs in world.contacts.values():
        by_id = {c.source_id: c for c in recs}
        for c in recs:
            if c.parent_source_id:
                parent = by_id[c.parent_source_id]
                assert parent.kind == "organization"
                assert entities[c.entity_id].organization_id == parent.entity_id


def test_multi_source_overlap() -> None:
    for tenant in ("bau-mueller", "agentur-weber"):
        sources = _sources_of(demo_worlds()[tenant])
        share = sum(len(s) >= 2 for s in sources.values()) / len(sources)
        assert 0.6 <= share <= 0.72, (tenant, share)
    assert any(len(s) >= 2 for s in _sources_of(demo_worlds()["salon-schneider"]).values())
    mailboxes = defaultdict(set)
    for c in demo_worlds()["bau-mueller"].contacts["ms365"]:
        mailboxes[c.entity_id].add(c.container)
    assert sum(len(m) >= 2 for m in mailboxes.values()) / len(mailboxes) > 0.7


def test_shared_emails_across_tenants() -> None:
    def emails(world: World) -> set[str]:
        return {v.lower() for recs in world.contacts.values() for c in recs for _, v in c.emails}

    worlds = demo_worlds()
    assert len(emails(worlds["bau-mueller"]) & emails(worlds["agentur-weber"])) >= 15


def test_defects_as_declared() -> None:
    worlds = demo_worlds()
    assert worlds["bau-mueller"].defects == Defects()
    assert worlds["salon-schneider"].defects == Defects()
    for world in worlds.values():
        team = {c.company_id: c.calcom_team_id for c in world.companies}
        type_team = {et.event_type_id: et.team_id for et in world.event_types}
        unsynced = sorted(s.service_id for s in world.services if s.calcom_event_type_id and s.sync_status != "synced")
        null_team = sorted(m.mapping_id for m in world.mappings if m.calcom_team_id is None)
        foreign = sorted(m.mapping_id for m in world.mappings
                         if m.calcom_team_id is not None and m.calcom_team_id != team[m.company_id])
        assert (unsynced, null_team, foreign) == (world.defects.unsynced_service_ids,
                                                  world.defects.null_team_mapping_ids,
                                                  world.defects.cross_tenant_mapping_ids)
        assert all(type_team[m.calcom_event_type_id] == team[m.company_id] for m in world.mappings)
    weber = worlds["agentur-weber"]
    statuses = sorted(s.sync_status for s in weber.services)
    assert len(weber.services) == 18 and statuses.count("never") == 16 and statuses.count("pending") == 1
    assert len(weber.defects.unsynced_service_ids) == 17
    assert len(weber.defects.null_team_mapping_ids) == 1
    (bad,) = [m for m in weber.mappings if m.mapping_id in weber.defects.cross_tenant_mapping_ids]
    assert bad.calcom_team_id == 4101 and str(bad.calcom_event_type_id).startswith("4202")


def test_salon_is_clean() -> None:
    world = demo_worlds()["salon-schneider"]
    for recs in world.contacts.values():
        for c in recs:
            assert not c.is_deleted and all("@" in v for _, v in c.emails)
            assert all(any(ch.isdigit() for ch in v) and len(v) > 8 for _, v in c.phones)
    assert all(s.sync_status == "synced" for s in world.services)


@pytest.mark.parametrize("tenant", TENANTS)
def test_no_orphans(tenant: str) -> None:
    world = demo_worlds()[tenant]
    lexware = {c.source_id for c in world.contacts.get("lexware", []) if c.parent_source_id is None}
    weclapp = {c.source_id for c in world.contacts.get("weclapp", []) if c.parent_source_id is None}
    users = {u.source_id for u in world.users}
    assert all(v.contact_source_id is None or v.contact_source_id in lexware for v in world.vouchers)
    assert any(v.contact_source_id is None for v in world.vouchers)
    assert all(t.customer_source_id is None or t.customer_source_id in weclapp for t in world.tasks)
    assert all(set(t.assignee_user_ids) <= users for t in world.tasks)
    assert world.defects.orphan_voucher_ids == [] and world.defects.orphan_task_ids == []


@pytest.mark.parametrize("tenant", TENANTS)
def test_vat_ids_valid_and_timestamps_not_after_now(tenant: str) -> None:
    world = demo_worlds()[tenant]
    vat_ids = [e.vat_id for e in world.entities if e.vat_id]
    assert vat_ids and all(vat.is_valid(v) for v in vat_ids)
    stamps = [t for recs in world.contacts.values() for c in recs for t in (c.created_at, c.modified_at)]
    stamps += [t for v in world.vouchers for t in (v.voucher_date, v.created_at, v.updated_at)]
    assert all(datetime.fromisoformat(t) <= NOW for t in stamps)
    assert all(datetime.fromisoformat(c.created_at) <= datetime.fromisoformat(c.modified_at)
               for recs in world.contacts.values() for c in recs)


def test_noise_present_where_profiled() -> None:
    world = demo_worlds()["bau-mueller"]
    records = [c for recs in world.contacts.values() for c in recs]
    assert any(c.is_deleted for c in world.contacts["hero"])
    assert any("@" not in v for c in records for _, v in c.emails)
    assert any(not any(ch.isdigit() for ch in v) for c in records for _, v in c.phones)
    assert any(c.last_name and "ue" in c.last_name for c in records)
