"""weclapp (ERP/CRM, REST v2): contacts (parties), tasks and users, incremental by lastModifiedDate."""

from crm_pipelines.sources.base import ObjectSpec, SourceDefinition
from crm_pipelines.sources.weclapp import mapping
from crm_pipelines.sources.weclapp.client import WeclappConnector, WeclappOptions


def demo_credentials(tenant_id: str) -> dict[str, str]:
    return {"api_token": f"demo-weclapp-{tenant_id}"}


def build_emulator():
    from crm_pipelines.demo.world import demo_worlds
    from crm_pipelines.sources.weclapp.demo import render_account
    from crm_pipelines.sources.weclapp.emulator import WeclappEmulator

    worlds = {t: w for t, w in demo_worlds().items() if w.contacts.get("weclapp")}
    return WeclappEmulator({t: render_account(w) for t, w in worlds.items()},
                           {demo_credentials(t)["api_token"]: t for t in worlds})


_INCREMENTAL = ("read incrementally by lastModifiedDate; deletions found by an id scan "
                "(properties=id) every few runs.")

SOURCE = SourceDefinition(
    name="weclapp",
    title="weclapp",
    kinds=frozenset({"weclapp", "api"}),
    objects=(
        ObjectSpec("contacts", "weclapp parties: organizations and persons, customers and suppliers (boolean "
                   "flags), contact persons as persons with parentPartyId; " + _INCREMENTAL,
                   mapping.CONTACT_COLUMNS, mapping.contact_row, mapping.contact_drafts, incremental=True),
        ObjectSpec("tasks", "weclapp tasks (status, priority, customer party, assignees, dates); " + _INCREMENTAL,
                   mapping.TASK_COLUMNS, mapping.task_row, incremental=True, contact_ref="customer_id"),
        ObjectSpec("users", "weclapp users (the tenant's staff accounts); " + _INCREMENTAL,
                   mapping.USER_COLUMNS, mapping.user_row, incremental=True),
    ),
    options_model=WeclappOptions,
    credential_fields=("api_token",),
    connect=WeclappConnector,
    emulator=build_emulator,
    demo_credentials=demo_credentials,
    docs_url="https://www.weclapp.com/api/",
)
