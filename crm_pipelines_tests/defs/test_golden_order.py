"""The golden pipeline resolves records in key order, whatever order the database returns them in."""

from __future__ import annotations

import numpy as np

from crm_pipelines.core.canonical import normalize_drafts
from crm_pipelines.core.config import MatchConfig
from crm_pipelines.core.golden.resolve import resolve_tenant
from crm_pipelines.core.synth import generate
from crm_pipelines.defs.golden_logic import in_key_order

from ..core.conftest import NOW


def test_any_row_order_gives_the_same_golden_tables():
    contacts = normalize_drafts([d for batch, _ in generate(600, seed=12) for d in batch]).contacts
    shuffled = contacts.iloc[np.random.default_rng(1).permutation(len(contacts))].reset_index(drop=True)
    a, b = in_key_order(contacts), in_key_order(shuffled)
    assert a.equals(b) and not shuffled.equals(b)
    assert in_key_order(a) is a  # rows already in key order (SQLite's) are not copied
    ra = resolve_tenant(a, None, None, MatchConfig(), NOW)
    rb = resolve_tenant(b, None, None, MatchConfig(), NOW)
    assert ra.xref.equals(rb.xref) and ra.golden_contacts.equals(rb.golden_contacts)
