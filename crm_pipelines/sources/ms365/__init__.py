"""Microsoft 365 (Graph, app-only): Outlook contacts of several mailboxes, incremental by delta query."""

import uuid

from crm_pipelines.sources.base import ObjectSpec, SourceDefinition
from crm_pipelines.sources.ms365 import mapping
from crm_pipelines.sources.ms365.client import Ms365Connector, Ms365Options


def demo_credentials(tenant_id: str) -> dict[str, str]:
    return {"tenant_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{tenant_id}.onmicrosoft.com")),
            "client_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"crm-pipelines/{tenant_id}")),
            "client_secret": f"demo-ms365-secret-{tenant_id}"}


def build_emulator():
    from crm_pipelines.demo.world import demo_worlds
    from crm_pipelines.sources.ms365.demo import render_mailboxes
    from crm_pipelines.sources.ms365.emulator import Ms365Emulator

    worlds = {t: w for t, w in demo_worlds().items() if w.contacts.get("ms365")}
    apps = {}
    for tenant in worlds:
        creds = demo_credentials(tenant)
        apps[creds["tenant_id"]] = (tenant, creds["client_id"], creds["client_secret"])
    return Ms365Emulator({t: render_mailboxes(w) for t, w in worlds.items()}, apps)


SOURCE = SourceDefinition(
    name="ms365",
    title="Microsoft 365 (Outlook contacts)",
    kinds=frozenset({"microsoft", "graph", "api"}),
    objects=(
        ObjectSpec("contacts", "Outlook contacts of the configured mailboxes (default Contacts folder and "
                   "subfolders), read through Microsoft Graph delta queries: the first run reads all, later "
                   "runs only changes and @removed deletions; an expired delta token triggers a full resync.",
                   mapping.CONTACT_COLUMNS, mapping.contact_row, mapping.contact_drafts, incremental=True),
    ),
    options_model=Ms365Options,
    credential_fields=("tenant_id", "client_id", "client_secret"),
    connect=Ms365Connector,
    emulator=build_emulator,
    demo_credentials=demo_credentials,
    docs_url="https://learn.microsoft.com/graph/api/contact-delta",
)
