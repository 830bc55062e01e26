"""SQLAlchemy tables for the matching core's outputs (canonical contacts through golden records).

Every table carries ``tenant_id``; JSON values are stored as Text. Column names equal the
DataFrame columns produced by ``crm_pipelines.core`` (``CANONICAL_COLUMNS``, ``GOLDEN_COLUMNS``, ...).
"""

from __future__ import annotations

import sqlalchemy as sa

from crm_pipelines.warehouse.schema import metadata

S, T, F, B, I = sa.String(255), sa.Text(), sa.Float(), sa.Boolean(), sa.Integer()
_PERSON = [("kind", S), ("salutation", S), ("title", S), ("first_name", S), ("last_name", S),
           ("company_name", S), ("legal_form", S)]
_ADDRESS_IDS = [("street", S), ("house_number", S), ("postal_code", S), ("city", S), ("country", S),
                ("vat_id", S), ("tax_number", S), ("trade_register", S), ("customer_number", S),
                ("supplier_number", S), ("birthday", S), ("job_title", S), ("department", S)]


def _cols(spec):
    return [sa.Column(name, typ) for name, typ in spec]


canonical_contacts = sa.Table(
    "canonical_contacts", metadata,
    sa.Column("tenant_id", S, primary_key=True), sa.Column("source", S, primary_key=True),
    sa.Column("source_id", S, primary_key=True), *_cols(_PERSON),
    *_cols([("emails", T), ("phones", T), ("email", S), ("phone", S)]), *_cols(_ADDRESS_IDS),
    *_cols([("roles", T), ("parent_source_id", S), ("source_created_at", S), ("source_modified_at", S),
            ("is_deleted", B), ("content_hash", S), ("quality_flags", T), ("first_key", S), ("last_key", S),
            ("company_key", S), ("first_phon", S), ("last_phon", S), ("company_phon", S), ("email_keys", T),
            ("phone_keys", T), ("street_key", S), ("city_key", S), ("vat_valid", B)]),
    # every canonical and golden run first reads which records changed, (source, source_id,
    # content_hash) of each: from this index alone instead of the wide rows (185k records: 0.19-0.2
    # instead of 0.27-0.39 s per read); its upkeep costs a full insert of 185k rows 0.8-1.1 s more
    sa.Index("ix_canonical_contacts_hash", "tenant_id", "source", "source_id", "content_hash"),
)

contact_rejects = sa.Table(
    "contact_rejects", metadata,
    sa.Column("tenant_id", S, nullable=False, index=True), sa.Column("source", S), sa.Column("source_id", S),
    sa.Column("reason", T), sa.Column("payload", T),
)

golden_contacts = sa.Table(
    "golden_contacts", metadata,
    sa.Column("tenant_id", S, primary_key=True), sa.Column("golden_id", S, primary_key=True),
    *_cols(_PERSON), *_cols(_ADDRESS_IDS),
    *_cols([("emails", T), ("phones", T), ("email", S), ("phone", S), ("roles", T), ("parent_golden_id", S),
            ("provenance", T), ("member_count", I), ("sources", T), ("content_hash", S),
            ("created_at", S), ("updated_at", S)]),
)

golden_contact_xref = sa.Table(
    "golden_contact_xref", metadata,
    sa.Column("tenant_id", S, primary_key=True), sa.Column("source", S, primary_key=True),
    sa.Column("source_id", S, primary_key=True), sa.Column("golden_id", S, nullable=False, index=True),
    sa.Column("link_method", S), sa.Column("match_probability", F), sa.Column("linked_at", S),
)

golden_aliases = sa.Table(
    "golden_aliases", metadata,
    sa.Column("tenant_id", S, primary_key=True), sa.Column("alias_id", S, primary_key=True),
    sa.Column("golden_id", S, nullable=False), sa.Column("merged_at", S),
)

golden_link_history = sa.Table(
    "golden_link_history", metadata,
    sa.Column("id", I, primary_key=True, autoincrement=True),
    *_cols([("tenant_id", S), ("source", S), ("source_id", S), ("event", S), ("golden_id", S),
            ("previous_golden_id", S), ("link_method", S), ("reason", S), ("at", S), ("batch_id", S)]),
    comment="link events, appended per publish; batch_id = the staging they came from (a re-publish replaces its own batch)",
)

_PAIR = [("tenant_id", S), ("source_a", S), ("source_id_a", S), ("source_b", S), ("source_id_b", S),
         ("golden_id_a", S), ("golden_id_b", S), ("match_weight", F), ("match_probability", F)]
match_pairs = sa.Table(
    "match_pairs", metadata, sa.Column("id", I, primary_key=True, autoincrement=True),
    *_cols(_PAIR), *_cols([("decision", S), ("pattern_id", sa.BigInteger()), ("created_at", S)]),
    # a delta publish replaces pairs by their two records: found through this index, not by a scan
    # (an index on the other end, ix_match_pairs_record_b, served an earlier delta, which replaced every
    # pair of a record; ``ensure_schema`` drops it: at 1M records it cost the full publish its upkeep)
    sa.Index("ix_match_pairs_record_a", "tenant_id", "source_a", "source_id_a"),
    comment="explained pairs: the explanation is the pattern's, in match_patterns (tenant_id, pattern_id)",
)

match_patterns = sa.Table(
    "match_patterns", metadata,
    sa.Column("tenant_id", S, primary_key=True), sa.Column("pattern_id", sa.BigInteger(), primary_key=True,
                                                            autoincrement=False),
    *_cols([("match_weight", F), ("explanation", T), ("created_at", S)]),
    comment="one explanation per comparison-level pattern: per field with a value on both sides, its level and weight",
)

match_review_queue = sa.Table(
    "match_review_queue", metadata, sa.Column("id", I, primary_key=True, autoincrement=True),
    *_cols(_PAIR), *_cols([("reason", S), ("explanation", T), ("queued_at", S)]),
)

match_overrides = sa.Table(
    "match_overrides", metadata, sa.Column("id", I, primary_key=True, autoincrement=True),
    *_cols([("tenant_id", S), ("source_a", S), ("source_id_a", S), ("source_b", S), ("source_id_b", S),
            ("kind", S), ("reason", T), ("created_by", S), ("created_at", S)]),
)

GOLDEN_TABLES = {t.name: t for t in (canonical_contacts, contact_rejects, golden_contacts, golden_contact_xref,
                                     golden_aliases, golden_link_history, match_pairs, match_patterns, match_review_queue,
                                     match_overrides)}
