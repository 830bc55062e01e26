"""monday.com (work management boards): contacts from the items of configured boards, incremental.

Each board holds contacts of one role (employees, subcontractors, suppliers, customers); its
column map in the options says which column is the e-mail, the phone, the street, ...
"""

from crm_pipelines.sources.base import ObjectSpec, SourceDefinition
from crm_pipelines.sources.monday import mapping
from crm_pipelines.sources.monday.client import MondayConnector
from crm_pipelines.sources.monday.options import MondayOptions


def demo_credentials(tenant_id: str) -> dict[str, str]:
    return {"api_token": f"demo-monday-{tenant_id}"}


def build_emulator():
    from crm_pipelines.demo.world import demo_worlds
    from crm_pipelines.sources.monday.demo import render_account
    from crm_pipelines.sources.monday.emulator import MondayEmulator

    worlds = {t: w for t, w in demo_worlds().items() if "monday" in w.contacts}
    return MondayEmulator({t: render_account(w) for t, w in worlds.items()},
                          {demo_credentials(t)["api_token"]: t for t in worlds})


SOURCE = SourceDefinition(
    name="monday",
    title="monday.com",
    kinds=frozenset({"monday", "graphql"}),
    objects=(
        ObjectSpec("contacts", "monday.com board items as contacts (one role per board: employees, subcontractors, "
                   "suppliers, customers). Incremental by updated_at per board; deletions from an id-only scan.",
                   mapping.CONTACT_COLUMNS, mapping.contact_row, mapping.contact_drafts, incremental=True),
    ),
    options_model=MondayOptions,
    credential_fields=("api_token",),
    connect=MondayConnector,
    emulator=build_emulator,
    demo_credentials=demo_credentials,
    docs_url="https://developer.monday.com/api-reference/",
)
