"""Small hand-made Cal.com teams for client tests (independent of the demo world)."""

from __future__ import annotations

from crm_pipelines.sources.base import ConnectContext
from crm_pipelines.sources.calcom.client import CalcomConnector, CalcomOptions
from crm_pipelines.sources.calcom.emulator import CalcomEmulator

KEY = "cal_live_test_0001"


def make_event_types(team_id: int, n: int) -> list[dict]:
    out = []
    for i in range(1, n + 1):
        round_robin = i % 2 == 0
        hosts = [{"userId": team_id * 10 + h, "name": f"Host {h}", "username": f"host-{h}", "avatarUrl": None,
                  **({"mandatory": h == 1, "priority": "medium"} if round_robin else {})} for h in (1, 2)]
        out.append({"id": team_id * 100 + i, "title": f"Termin {i}", "slug": f"termin-{i}", "lengthInMinutes": 30,
                    "lengthInMinutesOptions": [], "hidden": i % 5 == 0, "teamId": team_id, "ownerId": None,
                    "parentEventTypeId": None, "schedulingType": "roundRobin" if round_robin else "collective",
                    "assignAllTeamMembers": False, "hosts": hosts, "team": {"id": team_id, "slug": f"team-{team_id}"}})
    return out


def make_emulator(teams: dict[int, int] | None = None, tenant: str = "t1", **kwargs) -> CalcomEmulator:
    """``teams``: team id -> number of event types; all teams belong to ``tenant``."""
    teams = {42: 5} if teams is None else teams
    return CalcomEmulator({team: make_event_types(team, n) for team, n in teams.items()}, {KEY: tenant},
                          {tenant: list(teams)}, **kwargs)


def connect(emulator: CalcomEmulator, team_ids: list[int], base_url: str = "http://calcom.test",
            key: str = KEY, sleeps: list | None = None, real_sleep: bool = False, **options) -> CalcomConnector:
    """A connector for tenant ``t1``; ``sleeps`` collects requested sleeps when sleeping is faked."""
    fake = None if real_sleep else (lambda s: sleeps.append(s) if sleeps is not None else None)
    return CalcomConnector(ConnectContext(
        tenant_id="t1", base_url=base_url, credentials={"api_key": key},
        options=CalcomOptions(team_ids=team_ids, **options),
        transport=None if base_url.startswith("http://127.") else emulator.transport(), sleep=fake))
