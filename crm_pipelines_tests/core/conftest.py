"""Helpers for core tests: build canonical frames from drafts and resolve them."""

from datetime import datetime, timezone

import pytest

from crm_pipelines.core.canonical import normalize_drafts
from crm_pipelines.core.config import MatchConfig
from crm_pipelines.core.draft import ContactDraft
from crm_pipelines.core.golden.resolve import resolve_tenant

NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)
LATER = datetime(2025, 2, 1, tzinfo=timezone.utc)


def person(sid, first, last, source="hero", tenant="t", **kw):
    return ContactDraft(tenant, source, sid, first_name=first, last_name=last, **kw)


def frame(drafts):
    return normalize_drafts(drafts).contacts


def resolve(drafts, previous=None, overrides=None, now=NOW, **cfg):
    return resolve_tenant(frame(drafts), previous, overrides, MatchConfig(**cfg), now)


def gid(res, source, sid):
    x = res.xref
    return x[(x.source == source) & (x.source_id == sid)].golden_id.iloc[0]


@pytest.fixture
def base_people():
    """Two clear duplicate pairs plus unrelated background people (so the model has data)."""
    drafts = []
    for k in range(40):
        drafts.append(person(f"bg{k}", f"Vorname{k}", f"Nachname{k}", emails=[("work", f"p{k}@example{k}.de")],
                             phones=[("mobile", f"0171 {2000000 + k}")], postal_code=f"{10000 + k}"))
        drafts.append(person(f"bg{k}", f"Vorname{k}", f"Nachname{k}", source="ms365",
                             emails=[("work", f"P{k}@Example{k}.de")], postal_code=f"{10000 + k}"))
    return drafts
