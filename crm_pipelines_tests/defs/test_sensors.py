"""The change sensor requests runs only for the tenant and source that changed."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from crm_pipelines.defs.build import build_definitions
from crm_pipelines.defs.constants import TAG_SOURCE, TAG_TENANT, TAG_TRIGGER
from crm_pipelines.defs.resources import SourcesResource, in_process_emulator
from crm_pipelines.defs.sensors import ProbeResult, coerce, plan
from crm_pipelines.settings import DEMO_TENANTS_FILE
from crm_pipelines_tests.defs.quality_defs import tenants_file

CHANGES: dict[str, int] = {}  # tenant -> records changed since the last probe (set by the tests)
PROBED: list[tuple[str, str | None]] = []


class FakeConnector:
    def __init__(self, tenant: str) -> None:
        self.tenant = tenant

    def probe_changes(self, since):
        PROBED.append((self.tenant, since))
        return ProbeResult(CHANGES.get(self.tenant, 0), f"{self.tenant}-token-{len(PROBED)}")

    def close(self) -> None:
        pass


class PlainConnector:  # a connector without the optional probe
    def close(self) -> None:
        pass


class ProbingSources(SourcesResource):
    """The real resource, with connectors swapped for fakes (Cal.com probes, the rest cannot)."""

    def connect(self, resolved):
        return FakeConnector(resolved.tenant_id) if resolved.name == "calcom" else PlainConnector()


@pytest.fixture
def defs(tmp_path):
    return build_definitions(tenants_file(tmp_path / "tenants.yaml"), f"sqlite:///{tmp_path / 'wh.sqlite'}")


def _tick(defs, tmp_path, cursor):
    sensor = defs.resolve_sensor_def("source_change_sensor")
    context = dg.build_sensor_context(cursor=cursor, repository_def=defs.get_repository_def(), resources={
        "sources": ProbingSources(tenants_file=str(tmp_path / "tenants.yaml"))})
    return sensor.evaluate_tick(context)


def test_change_sensor_requests_only_what_changed(defs, tmp_path):
    CHANGES.clear(), PROBED.clear()
    first = _tick(defs, tmp_path, None)
    assert first.run_requests == []  # the first tick only takes baselines
    assert sorted(t for t, since in PROBED) == ["t1", "t2"] and all(since is None for _, since in PROBED)
    CHANGES["t2"] = 3
    second = _tick(defs, tmp_path, first.cursor)
    assert [(r.partition_key, r.job_name) for r in second.run_requests] == [("t2", "sync_booking")]
    tags = second.run_requests[0].tags
    assert (tags[TAG_TENANT], tags[TAG_SOURCE], tags[TAG_TRIGGER]) == ("t2", "calcom,booking_db", "change_sensor")
    assert {since for _, since in PROBED[2:]} == {"t1-token-1", "t2-token-2"} or len(PROBED) == 4
    tokens = json.loads(second.cursor)["tokens"]
    assert set(tokens) == {"t1|calcom", "t2|calcom"}  # lexware has no probe: never in the cursor
    CHANGES.clear()
    assert _tick(defs, tmp_path, second.cursor).run_requests == []


def test_plan_is_bounded_and_resumes():
    clock = iter([0, 0, 0, 100, 100, 100, 100])
    pairs = [("a", "x"), ("b", "x"), ("c", "x")]
    changed, state = plan(pairs, {"tokens": {"a|x": "1", "b|x": "1", "c|x": "1"}},
                          lambda t, s, since: ProbeResult(1, "2"), budget_seconds=10, clock=lambda: next(clock))
    assert [c[0] for c in changed] == ["a", "b"] and state["next"] == 2
    changed, state = plan(pairs, state, lambda t, s, since: None)
    assert changed == [] and state["tokens"]["c|x"] == "1"


def test_coerce_accepts_simple_answers():
    assert coerce(5, "now") == ProbeResult(5, "now")
    assert coerce((0, "tok"), "now") == ProbeResult(0, "tok")
    assert coerce(True, "now") == ProbeResult(1, "now")



def test_change_sensor_probes_the_demo_connectors(tmp_path):
    """The real weclapp, monday.com and Microsoft 365 probes against the in-process emulators."""
    demo = build_definitions(DEMO_TENANTS_FILE, f"sqlite:///{tmp_path}/w.sqlite")
    sensor = demo.resolve_sensor_def("source_change_sensor")

    def tick(cursor):
        return sensor.evaluate_tick(dg.build_sensor_context(cursor=cursor, repository_def=demo.get_repository_def(),
                                                            resources={"sources": SourcesResource(
                                                                tenants_file=str(DEMO_TENANTS_FILE))}))

    first = tick(None)
    assert first.run_requests == [] and {"bau-mueller|monday", "bau-mueller|ms365", "bau-mueller|weclapp"} <= set(
        json.loads(first.cursor)["tokens"])
    second = tick(first.cursor)
    assert second.run_requests == []
    in_process_emulator("weclapp").touch("bau-mueller", "contacts", 3)
    third = tick(second.cursor)
    assert [(r.partition_key, r.tags[TAG_SOURCE]) for r in third.run_requests] == [("bau-mueller", "weclapp")]
    in_process_emulator("ms365").delete("agentur-weber", "contacts", 1)
    in_process_emulator("monday").touch("salon-schneider", "contacts", 1)
    fourth = tick(third.cursor)
    assert sorted((r.partition_key, r.tags[TAG_SOURCE]) for r in fourth.run_requests) == [
        ("agentur-weber", "ms365"), ("salon-schneider", "monday")]
