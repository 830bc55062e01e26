"""Lexware Office (accounting): contacts (full scan) and vouchers (incremental by updatedDate)."""

from crm_pipelines.sources.base import ObjectSpec, SourceDefinition
from crm_pipelines.sources.lexware import mapping
from crm_pipelines.sources.lexware.client import LexwareConnector, LexwareOptions


def demo_credentials(tenant_id: str) -> dict[str, str]:
    return {"api_key": f"demo-lexware-{tenant_id}"}


def build_emulator():
    from crm_pipelines.demo.world import demo_worlds
    from crm_pipelines.sources.lexware.demo import render_account
    from crm_pipelines.sources.lexware.emulator import LexwareEmulator

    worlds = demo_worlds()
    return LexwareEmulator({t: render_account(w) for t, w in worlds.items()},
                           {demo_credentials(t)["api_key"]: t for t in worlds})


SOURCE = SourceDefinition(
    name="lexware",
    title="Lexware Office",
    kinds=frozenset({"lexware", "api"}),
    objects=(
        ObjectSpec("contacts", "Lexware Office contacts (customers and vendors; companies with contact "
                   "persons, and persons). Full scan each run: the API has no change filter.",
                   mapping.CONTACT_COLUMNS, mapping.contact_row, mapping.contact_drafts),
        ObjectSpec("vouchers", "Lexware Office vouchers (Belege: invoices, credit notes, quotations, ...) "
                   "from the voucherlist, read incrementally by updatedDate.",
                   mapping.VOUCHER_COLUMNS, mapping.voucher_row, incremental=True, contact_ref="contact_id"),
    ),
    options_model=LexwareOptions,
    credential_fields=("api_key",),
    connect=LexwareConnector,
    emulator=build_emulator,
    demo_credentials=demo_credentials,
    docs_url="https://developers.lexware.io/docs/",
)
