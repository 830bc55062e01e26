"""Cal.com (scheduling): the event types of the tenant's team(s), full fetch per team each run."""

from crm_pipelines.sources.base import ObjectSpec, SourceDefinition
from crm_pipelines.sources.calcom import mapping
from crm_pipelines.sources.calcom.client import CalcomConnector, CalcomOptions


def demo_credentials(tenant_id: str) -> dict[str, str]:
    return {"api_key": f"demo-calcom-{tenant_id}"}


def build_emulator():
    from crm_pipelines.demo.world import demo_worlds
    from crm_pipelines.sources.calcom.demo import render_teams
    from crm_pipelines.sources.calcom.emulator import CalcomEmulator

    worlds = demo_worlds()
    teams: dict[int, list[dict]] = {}
    for world in worlds.values():
        teams.update(render_teams(world))
    return CalcomEmulator(teams, {demo_credentials(t)["api_key"]: t for t in worlds},
                          {t: [w.calcom_team_id] if w.calcom_team_id else [] for t, w in worlds.items()})


SOURCE = SourceDefinition(
    name="calcom",
    title="Cal.com",
    kinds=frozenset({"calcom", "api"}),
    objects=(
        ObjectSpec("event_types", "Cal.com team event types of the tenant's team(s) (teamId, hosts, scheduling "
                   "type, length). Full fetch per team each run: the API has no paging and no change filter.",
                   mapping.EVENT_TYPE_COLUMNS, mapping.event_type_row),
    ),
    options_model=CalcomOptions,
    credential_fields=("api_key",),
    connect=CalcomConnector,
    emulator=build_emulator,
    demo_credentials=demo_credentials,
    docs_url="https://cal.com/docs/api-reference/v2/introduction",
)
