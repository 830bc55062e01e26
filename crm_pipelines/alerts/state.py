"""Which failures are new and which are resolved, given what is already open.

State is a dict ``{failure_key: description}`` kept in the alert sensor's cursor. A failure key
names the tenant and the check (or the job for runs), so one failure produces one message, however
many ticks or reruns see it, and the first passing evaluation afterwards produces one "resolved".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Observation:
    key: str  # "check|<asset>|<check>|<tenant>" or "run|<job>|<tenant>"
    failed: bool


def transitions(open_failures: dict[str, str], observations: list[Observation]) -> tuple[list[str], list[str]]:
    """(newly failed keys, resolved keys) in order of observation; ``open_failures`` is updated."""
    new, resolved = [], []
    for obs in observations:
        if obs.failed and obs.key not in open_failures:
            open_failures[obs.key] = "open"
            new.append(obs.key)
        elif not obs.failed and obs.key in open_failures:
            del open_failures[obs.key]
            resolved.append(obs.key)
    return new, resolved
