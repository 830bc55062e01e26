"""The demo world's fixed clock: every timestamp is derived from ``NOW``, never from the wall clock."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 1, 8, 0, 0, tzinfo=BERLIN)  # 2026-11-01T08:00:00+01:00


def past(rng: random.Random, max_days: float, min_days: float = 0.0) -> datetime:
    """A moment between ``max_days`` and ``min_days`` before NOW, in Berlin time, whole seconds."""
    seconds = rng.uniform(min_days * 86400, max_days * 86400)
    return (NOW - timedelta(seconds=int(seconds))).astimezone(BERLIN)


def between(rng: random.Random, start: datetime, end: datetime = NOW) -> datetime:
    """A moment between ``start`` and ``end`` (whole seconds)."""
    span = max(0, int((end - start).total_seconds()))
    return (start + timedelta(seconds=rng.randint(0, span))).astimezone(BERLIN)


def iso(moment: datetime) -> str:
    """ISO 8601 with the Berlin offset, e.g. ``2026-03-04T10:15:00+01:00``."""
    return moment.astimezone(BERLIN).isoformat(timespec="seconds")


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp()) * 1000


def created_modified(rng: random.Random, max_days: float = 1100) -> tuple[str, str]:
    """A (created, modified) pair of ISO strings, modified at or after created."""
    created = past(rng, max_days, 1)
    modified = created if rng.random() < 0.3 else between(rng, created)
    return iso(created), iso(modified)
