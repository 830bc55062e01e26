"""Schedules evaluate to one run request per tenant using the source, with tenant and source tags."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from crm_pipelines.defs.build import build_definitions
from crm_pipelines.defs.constants import TAG_SOURCE, TAG_TENANT
from crm_pipelines_tests.defs.quality_defs import tenants_file

WHEN = dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def defs(tmp_path):
    return build_definitions(tenants_file(tmp_path / "tenants.yaml"), f"sqlite:///{tmp_path / 'wh.sqlite'}")


def _requests(defs, name):
    schedule = defs.resolve_schedule_def(name)
    context = dg.build_schedule_context(scheduled_execution_time=WHEN, repository_def=defs.get_repository_def())
    return schedule, schedule.evaluate_tick(context).run_requests


def test_booking_every_30_minutes_for_tenants_using_it(defs):
    schedule, requests = _requests(defs, "booking_schedule")
    assert schedule.cron_schedule == "*/30 * * * *" and schedule.execution_timezone == "Europe/Berlin"
    assert schedule.job_name == "sync_booking"
    assert [r.partition_key for r in requests] == ["t1", "t2"]
    assert requests[0].tags[TAG_TENANT] == "t1" and requests[0].tags[TAG_SOURCE] == "calcom,booking_db"
    job = defs.resolve_job_def("sync_booking")
    selected = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert {"raw/booking_db/mappings", "raw/calcom/event_types", "booking_sync_health"} <= selected


def test_lexware_every_four_hours_for_every_tenant(defs):
    schedule, requests = _requests(defs, "lexware_schedule")
    assert schedule.cron_schedule == "0 */4 * * *"
    assert [(r.partition_key, r.tags[TAG_SOURCE]) for r in requests] == [("t1", "lexware"), ("t2", "lexware"),
                                                                          ("t3", "lexware")]
    assert len({r.run_key for r in requests}) == 3


def test_golden_at_five_selects_the_golden_group(defs):
    schedule, requests = _requests(defs, "golden_schedule")
    assert schedule.cron_schedule == "0 5 * * *"
    assert [r.partition_key for r in requests] == ["t1", "t2", "t3"]
    selected = {k.to_user_string() for k in defs.resolve_job_def("golden_contacts_job").asset_layer.selected_asset_keys}
    assert "golden_contacts" in selected


def test_nightly_crons_and_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_SCHEDULE_LEXWARE", "15 */2 * * *")
    defs = build_definitions(tenants_file(tmp_path / "tenants.yaml"), f"sqlite:///{tmp_path / 'wh.sqlite'}")
    assert defs.resolve_schedule_def("lexware_schedule").cron_schedule == "15 */2 * * *"
    from crm_pipelines.defs.schedules import SYNC_SCHEDULES
    crons = {s.name: s.cron for s in SYNC_SCHEDULES}
    assert (crons["hero"], crons["ms365"], crons["monday"]) == ("0 2 * * *", "0 3 * * *", "0 4 * * *")
