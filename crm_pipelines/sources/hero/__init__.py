"""HERO Software (craft-business software): contacts over the external GraphQL API (v7).

Full scan every run (the API has no change filter); deleted contacts arrive as tombstones.
"""

from crm_pipelines.sources.base import ObjectSpec, SourceDefinition
from crm_pipelines.sources.hero import mapping
from crm_pipelines.sources.hero.client import HeroConnector, HeroOptions


def demo_credentials(tenant_id: str) -> dict[str, str]:
    return {"api_key": f"demo-hero-{tenant_id}"}


def build_emulator():
    from crm_pipelines.demo.world import demo_worlds
    from crm_pipelines.sources.hero.demo import render_account
    from crm_pipelines.sources.hero.emulator import HeroEmulator

    worlds = {t: w for t, w in demo_worlds().items() if "hero" in w.contacts}
    return HeroEmulator({t: render_account(w) for t, w in worlds.items()},
                        {demo_credentials(t)["api_key"]: t for t in worlds})


SOURCE = SourceDefinition(
    name="hero",
    title="HERO Software",
    kinds=frozenset({"hero", "graphql"}),
    objects=(
        ObjectSpec("contacts", "HERO contacts (customers, companies, suppliers, contact persons), deleted ones "
                   "included as tombstones. Full offset scan each run: the API has no change filter, so "
                   "only contacts whose content changed are written.",
                   mapping.CONTACT_COLUMNS, mapping.contact_row, mapping.contact_drafts),
    ),
    options_model=HeroOptions,
    credential_fields=("api_key",),
    connect=HeroConnector,
    emulator=build_emulator,
    demo_credentials=demo_credentials,
    docs_url="https://hero-software.de/api-doku/graphql-guide",
)
