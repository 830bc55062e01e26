"""Render the demo world's Cal.com team event types in the API's TeamEventTypeOutput shape (2024-06-14)."""

from __future__ import annotations

from crm_pipelines.demo.model import DemoEventType, World
from crm_pipelines.demo.names import slug

_PRIORITIES = ("medium", "high", "low", "highest", "lowest")


def render_team(world: World) -> dict:
    name = world.companies[0].name if world.companies else world.tenant_id
    return {"id": world.calcom_team_id, "slug": slug(name), "name": name, "bannerUrl": None, "logoUrl": None,
            "weekStart": "Monday", "brandColor": "#292929", "darkBrandColor": "#fafafa", "theme": None}


def render_event_type(event_type: DemoEventType, team: dict) -> dict:
    round_robin = event_type.scheduling_type == "roundRobin"
    hosts = []
    for i, host in enumerate(event_type.hosts):
        out = {"userId": host["userId"], "name": host["name"], "username": host["username"], "avatarUrl": None}
        if round_robin:  # mandatory/priority exist only for round-robin hosts
            out.update(mandatory=i == 0, priority=_PRIORITIES[i % len(_PRIORITIES)])
        hosts.append(out)
    return {
        "id": event_type.event_type_id, "title": event_type.title, "slug": event_type.slug,
        "description": f"{event_type.title} ({event_type.length_minutes} Minuten)",
        "lengthInMinutes": event_type.length_minutes, "lengthInMinutesOptions": [],
        "locations": [{"type": "address", "address": "vor Ort", "public": True}],
        "bookingFields": [], "disableGuests": False, "slotInterval": None, "minimumBookingNotice": 120,
        "beforeEventBuffer": 0, "afterEventBuffer": 0, "recurrence": None, "metadata": {}, "price": 0,
        "currency": "eur", "lockTimeZoneToggleOnBookingPage": False, "seatsPerTimeSlot": None,
        "forwardParamsSuccessRedirect": True, "successRedirectUrl": None, "isInstantEvent": False,
        "scheduleId": None, "hidden": False,
        "teamId": event_type.team_id, "ownerId": None, "parentEventTypeId": None,
        "schedulingType": event_type.scheduling_type, "assignAllTeamMembers": False,
        "hosts": hosts, "team": dict(team),
    }


def render_teams(world: World) -> dict[int, list[dict]]:
    """team id -> the team's event types (a tenant without a Cal.com team has none)."""
    if not world.calcom_team_id:
        return {}
    team = render_team(world)
    return {world.calcom_team_id: [render_event_type(e, team) for e in world.event_types]}
