"""Matching and survivorship configuration (plain dataclasses with defaults; load from dicts)."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_SOURCE_PRIORITY = ["lexware", "weclapp", "hero", "ms365", "monday", "booking_db", "calcom", "csv"]

SURVIVING_FIELDS = [
    "kind", "salutation", "title", "first_name", "last_name", "company_name", "legal_form",
    "street", "house_number", "postal_code", "city", "country", "vat_id", "tax_number",
    "trade_register", "customer_number", "supplier_number", "birthday", "job_title", "department",
]
RULES = ("source_priority", "most_recent", "most_complete", "most_frequent")


@dataclass
class SurvivorshipConfig:
    """Per-field rule; ties are broken by source priority, then most recent, then source id."""

    default_rule: str = "source_priority"
    field_rules: dict[str, str] = field(default_factory=lambda: {
        "first_name": "most_complete", "last_name": "most_frequent", "company_name": "most_frequent",
        "job_title": "most_recent", "department": "most_recent", "street": "most_recent",
        "house_number": "most_recent", "postal_code": "most_recent", "city": "most_recent",
    })
    source_priority: list[str] = field(default_factory=lambda: list(DEFAULT_SOURCE_PRIORITY))
    field_source_priority: dict[str, list[str]] = field(default_factory=dict)

    def rule_for(self, name: str) -> str:
        rule = self.field_rules.get(name, self.default_rule)
        if rule not in RULES:
            raise ValueError(f"unknown survivorship rule {rule!r} for {name}")
        return rule

    def priority_for(self, name: str) -> list[str]:
        return self.field_source_priority.get(name, self.source_priority)


@dataclass
class MatchConfig:
    auto_merge_probability: float = 0.995
    review_probability: float = 0.60
    conflict_weight: float = -1.0  # a pair inside one cluster may not have less evidence than this
    max_block_size: int = 60
    u_sample_pairs: int = 300_000
    em_iterations: int = 40
    veto_first_name_conflict: bool = True
    require_identifier: bool = True  # names alone (without e-mail/phone/address/ids) never auto-merge
    max_exact_component: int = 400
    seed: int = 20240501
    # with a previous run's MatchCache: re-resolve incrementally (and carry the FS parameters) when at
    # most this fraction of records changed, was added or was deleted; above it, a full run with EM
    incremental_max_changed: float = 0.05
    workers: int = 2
    survivorship: SurvivorshipConfig = field(default_factory=SurvivorshipConfig)

    @classmethod
    def from_dict(cls, data: dict | None) -> "MatchConfig":
        data = dict(data or {})
        surv = data.pop("survivorship", None)
        cfg = cls(**data)
        if surv:
            cfg.survivorship = SurvivorshipConfig(**surv)
        return cfg
