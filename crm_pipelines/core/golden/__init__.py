"""Golden contacts: stable ids, survivorship with provenance, and the per-tenant resolve step."""
