"""Golden-contact assets: canonical contacts -> golden contacts (+ xref, explanations, review queue)
-> activity per golden contact. Thin wiring over ``golden_logic``; one tenant per partition."""

import dagster as dg
import sqlalchemy as sa

from crm_pipelines.defs.constants import GOLDEN_GROUP, OWNER
from crm_pipelines.defs.golden_logic import (ACTIVITY_OBJECTS, CONTACT_SOURCES, build_activity, build_canonical,
                                             build_golden, publish_golden, queried_summary)
from crm_pipelines.defs.ingest import raw_asset_key
from crm_pipelines.defs.markdown import md_table
from crm_pipelines.defs.resources import SourcesResource, WarehouseResource
from crm_pipelines.warehouse.staging import published_summary

CANONICAL = dg.AssetKey("canonical_contacts")
GOLDEN = dg.AssetKey("golden_contacts")
XREF = dg.AssetKey("golden_contact_xref")
EXPLANATIONS = dg.AssetKey("match_explanations")
REVIEW = dg.AssetKey("match_review_queue")
ACTIVITY = dg.AssetKey("golden_contact_activity")
RESOLUTION = dg.AssetKey("golden_resolution")

def _rows(conn: sa.Connection, sql: str, tenant_id: str) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(sa.text(sql), {"t": tenant_id})]


def build_golden_assets(partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    common = {"partitions_def": partitions, "owners": [OWNER], "group_name": GOLDEN_GROUP}

    @dg.asset(key=CANONICAL, deps=[raw_asset_key(s, spec.name) for s, spec in CONTACT_SOURCES],
              kinds={"python", "table"}, pool="crm_golden", **common)
    def canonical_contacts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        """Every raw contact of every source in one canonical shape: typed e-mails and phones (E.164),
        names split and transliterated, legal forms and streets standardized, VAT ids validated, match
        keys. Invalid values are kept raw and flagged; records with nothing to match on go to
        ``contact_rejects`` with their reason. Incremental: unchanged records are not normalized again."""
        stats = build_canonical(warehouse.engine, context.partition_key)
        context.log.info(f"canonical contacts: {stats}")
        return dg.MaterializeResult(metadata={
            "dagster/row_count": sum(stats.per_source.values()), "normalized": stats.normalized,
            "unchanged_skipped": stats.unchanged, "removed": stats.removed, "rejected": stats.rejected,
            "per_source": dg.MetadataValue.json(stats.per_source), "dagster/table_name": "canonical_contacts"})

    @dg.asset(key=RESOLUTION, deps=[CANONICAL], kinds={"python", "table"}, pool="crm_golden",
              metadata={"dagster/table_name": "stg_golden_contacts"}, **common)
    def golden_resolution(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                          sources: SourcesResource) -> dg.MaterializeResult:
        """Fuzzy-merge the tenant's canonical contacts (blocking, Fellegi-Sunter scoring with m/u
        estimated from the data, non-chaining clustering, vetoes, steward overrides, stable ids,
        survivorship) into the staging tables (``stg_*``; on SQLite a large full resolution goes to a
        staging file of its own, ``<warehouse>.staging/``). An incremental run stages only the rows
        that differ from the published ones (``match_stats``: ``delta_*``). Blocking checks run on the
        staged result; only then is it published as the golden tables."""
        tenant_id = context.partition_key
        resolution = build_golden(warehouse.engine, tenant_id, sources.tenants().get(tenant_id).matching)
        stats = {k: (float(v) if isinstance(v, float) else int(v) if hasattr(v, "__int__") else str(v))
                 for k, v in resolution.stats.items()}
        return dg.MaterializeResult(metadata={
            # the count the resolve reports: an incremental resolution does not build its full table
            "dagster/row_count": int(resolution.stats.get("golden_contacts", len(resolution.golden_contacts))),
            "staged_xref_rows": len(resolution.xref),
            "match_stats": dg.MetadataValue.json(stats),
            "timings_s": dg.MetadataValue.json({k: round(v, 3) for k, v in resolution.timings.items()})})

    @dg.multi_asset(
        specs=[
            dg.AssetSpec(GOLDEN, deps=[RESOLUTION], metadata={"dagster/table_name": "golden_contacts"}, kinds={"python", "table"}, owners=[OWNER],
                         description="One golden contact per real person or organization per tenant: survived "
                                     "fields with provenance (which source record won, by which rule), typed "
                                     "e-mail and phone sets, stable golden ids."),
            dg.AssetSpec(XREF, deps=[RESOLUTION], metadata={"dagster/table_name": "golden_contact_xref"}, kinds={"table"}, owners=[OWNER],
                         description="Cross-reference: every canonical source record -> its golden id, how and "
                                     "when it was linked. Merged-away ids stay resolvable in golden_aliases."),
            dg.AssetSpec(EXPLANATIONS, deps=[RESOLUTION], metadata={"dagster/table_name": "match_pairs"}, kinds={"table"}, owners=[OWNER],
                         description="Why records were merged: per accepted or queued pair the total weight, the "
                                     "match probability and its comparison pattern; match_patterns holds each "
                                     "pattern's level and weight per field (join on tenant_id, pattern_id)."),
            dg.AssetSpec(REVIEW, deps=[RESOLUTION], metadata={"dagster/table_name": "match_review_queue"}, kinds={"table"}, owners=[OWNER],
                         description="Pairs in the grey band between the review and auto-merge thresholds, for "
                                     "a steward to decide (must-link / cannot-link in match_overrides)."),
        ],
        partitions_def=partitions, group_name=GOLDEN_GROUP, pool="crm_golden",
    )
    def golden_contacts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        """Publish the staged golden tables of the tenant atomically (after the blocking checks passed)."""
        tenant_id = context.partition_key
        counts = publish_golden(warehouse.engine, tenant_id)
        with warehouse.engine.connect() as conn:
            # taken from the resolution when it was staged; read from the tables after an earlier version's staging
            shown = published_summary(conn, tenant_id) or queried_summary(conn, tenant_id)
            review = _rows(conn, "select source_a, source_id_a, source_b, source_id_b, match_probability, reason "
                                 "from match_review_queue where tenant_id = :t order by match_probability desc "
                                 "limit 10", tenant_id)
        preview, methods, decisions, weakest = (shown[k] for k in ("largest", "link_methods", "decisions",
                                                                   "weakest_merges"))
        yield dg.MaterializeResult(asset_key=GOLDEN, metadata={
            "dagster/row_count": counts["golden_contacts"], "preview": dg.MetadataValue.md(md_table(preview)),
            "aliases": counts["aliases"]})
        yield dg.MaterializeResult(asset_key=XREF, metadata={
            "dagster/row_count": counts["xref"], "link_methods": dg.MetadataValue.json(methods)})
        yield dg.MaterializeResult(asset_key=EXPLANATIONS, metadata={
            "dagster/row_count": counts["pairs"], "decisions": dg.MetadataValue.json(decisions),
            "weakest_auto_merges": dg.MetadataValue.md(md_table(weakest))})
        yield dg.MaterializeResult(asset_key=REVIEW, metadata={
            "dagster/row_count": counts["review_queue"], "preview": dg.MetadataValue.md(md_table(review))})

    @dg.asset(key=ACTIVITY, deps=[XREF, *(raw_asset_key(s, spec.name) for s, spec in ACTIVITY_OBJECTS)],
              kinds={"python", "table"}, metadata={"dagster/table_name": "golden_contact_activity"}, **common)
    def golden_contact_activity(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        """Per golden contact, its vouchers, tasks, ... across sources (linked through the xref):
        number of items, open items, total and open amounts."""
        activity = build_activity(warehouse.engine, context.partition_key)
        top = activity.sort_values("open_amount", ascending=False).head(10) if len(activity) else activity
        return dg.MaterializeResult(metadata={
            "dagster/row_count": len(activity), "preview": dg.MetadataValue.md(md_table(top.to_dict("records")))})

    return [canonical_contacts, golden_resolution, golden_contacts, golden_contact_activity]
