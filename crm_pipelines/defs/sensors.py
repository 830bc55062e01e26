"""The change sensor: ask each (tenant, source) a cheap question — "did anything change since my last
token?" — and request a sync run only for the tenant and source that changed.

A connector opts in by offering ``probe_changes(since)`` (the ``ChangeProbe`` protocol below):
weclapp answers with ``/<entity>/count?lastModifiedDate-gt=<ms>``, monday.com with an items query on
``__last_updated__``, Microsoft 365 with a ``delta`` round. Connectors without it are skipped.

Ticks stay small and bounded: the cursor keeps one token per tenant/source and a round-robin
position; a tick probes pairs until ``TICK_BUDGET_SECONDS`` is spent and resumes there next time.
"""

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import dagster as dg

from crm_pipelines.defs.constants import CHANGE_SENSOR, TAG_SOURCE, sync_job
from crm_pipelines.defs.resources import SourcesResource
from crm_pipelines.defs.schedules import run_tags

TICK_BUDGET_SECONDS = 40.0  # Dagster cuts sensor evaluations off after about 60 s


def _short(token: str | None) -> str:
    """Run keys stay short: a delta token can be a JSON object of long links."""
    return hashlib.sha256(str(token).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ProbeResult:
    changed: int  # records changed since the token passed in (any positive number means "changed")
    token: str | None  # what to pass as ``since`` next time (an ISO instant, epoch ms, a delta link ...)


@runtime_checkable
class ChangeProbe(Protocol):
    def probe_changes(self, since: str | None) -> "ProbeResult | tuple[int, str | None] | int | bool":
        """``since=None`` asks for a baseline token only (its change count is ignored)."""


def coerce(answer: Any, fallback_token: str) -> ProbeResult:
    """Accept the shapes a connector may return: ProbeResult-like, (changed, token), int or bool."""
    if hasattr(answer, "changed"):
        return ProbeResult(int(answer.changed), getattr(answer, "token", None) or fallback_token)
    if isinstance(answer, tuple):
        return ProbeResult(int(answer[0]), answer[1] or fallback_token)
    return ProbeResult(int(answer), fallback_token)


def plan(pairs: list[tuple[str, str]], state: dict, probe: Callable[[str, str, str | None], ProbeResult | None],
         budget_seconds: float = TICK_BUDGET_SECONDS, clock: Callable[[], float] = time.monotonic
         ) -> tuple[list[tuple[str, str, str]], dict]:
    """Pure: probe pairs round-robin from ``state["next"]`` within the budget.

    Returns ([(tenant, source, token) that changed], new state). ``probe`` returns None when the pair
    cannot be probed (no probe method, unconfigured, error): its token is left as it was.
    """
    tokens = dict(state.get("tokens", {}))
    start = state.get("next", 0) % len(pairs) if pairs else 0
    changed, started, done = [], clock(), 0
    for i in range(len(pairs)):
        if clock() - started > budget_seconds:
            break
        tenant, source = pairs[(start + i) % len(pairs)]
        since = tokens.get(f"{tenant}|{source}")
        result = probe(tenant, source, since)
        done += 1
        if result is None:
            continue
        if since is not None and result.changed > 0:
            changed.append((tenant, source, result.token or ""))
        tokens[f"{tenant}|{source}"] = result.token
    return changed, {"tokens": tokens, "next": (start + done) % len(pairs) if pairs else 0}


def probe_with(sources: SourcesResource, log=None) -> Callable[[str, str, str | None], ProbeResult | None]:
    def _probe(tenant: str, source: str, since: str | None) -> ProbeResult | None:
        resolved = sources.resolve(tenant, source)
        if resolved is None or not resolved.configured:
            return None
        connector = sources.connect(resolved)
        try:
            method = getattr(connector, "probe_changes", None)
            if method is None:
                return None
            now = dt.datetime.now(dt.timezone.utc).isoformat()
            return coerce(method(since), now)
        except Exception as exc:  # noqa: BLE001 - one failing source must not stop the others
            if log:
                log.warning(f"change probe of {source} for {tenant} failed: {type(exc).__name__}: {str(exc)[:200]}")
            return None
        finally:
            connector.close()
    return _probe


def build_change_sensor(tenant_sources: list[tuple[str, str]], job_for_source: dict[str, Any]) -> dg.SensorDefinition:
    """``tenant_sources``: (tenant, source) pairs to probe; ``job_for_source``: source -> sync job."""
    pairs = [(t, s) for t, s in tenant_sources if s in job_for_source]
    jobs = list({id(j): j for j in job_for_source.values()}.values())

    @dg.sensor(name=CHANGE_SENSOR, jobs=jobs, minimum_interval_seconds=300,
               description="Asks each tenant's sources whether anything changed since the last tick (weclapp "
                           "count with lastModifiedDate, monday.com __last_updated__, Microsoft 365 delta) and "
                           "requests a sync run only for the tenant and source that changed.")
    def source_change_sensor(context: dg.SensorEvaluationContext, sources: SourcesResource):
        """Change-driven syncs per tenant and source (cursor: one token per tenant/source)."""
        state = json.loads(context.cursor) if context.cursor else {}
        changed, state = plan(pairs, state, probe_with(sources, context.log))
        requests = [dg.RunRequest(run_key=f"change:{source}:{tenant}:{_short(token)}", job_name=job_for_source[source].name,
                                  partition_key=tenant, tags=run_tags(
                                      tenant, job_for_source[source].tags.get(TAG_SOURCE, source), "change_sensor"))
                    for tenant, source, token in changed]
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(state, sort_keys=True),
                               skip_reason=None if requests else "no source changed")

    return source_change_sensor


def change_sensor_for(tenants, jobs_by_name: dict[str, Any], schedules_spec) -> dg.SensorDefinition | None:
    """Wire the sensor from the tenants file and the sync jobs built by ``schedules.build_schedules``."""
    job_for_source = {}
    for spec in schedules_spec:
        job = jobs_by_name.get(sync_job(spec.name))
        if job is not None:
            for source in spec.sources:
                job_for_source[source] = job
    pairs = [(t.id, s) for t in tenants.tenants for s in t.sources if s in job_for_source]
    return build_change_sensor(pairs, job_for_source) if job_for_source else None

