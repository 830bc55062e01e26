"""HERO client against its emulator: offset paging, tombstones, GraphQL errors, faults, rate, socket."""

from __future__ import annotations

import logging

import pytest

from crm_pipelines.sources._http import SourceError
from crm_pipelines.sources.hero.client import DEFAULT_FIELDS
from crm_pipelines.warehouse.raw_load import content_hash
from crm_pipelines_tests.sources.hero_fixtures import KEY, connect, make_emulator

PATH = "/api/external/v7/graphql"


def quiet(n=30, **kwargs):
    emulator = make_emulator(n, **kwargs)
    emulator.rate_limits_enabled = False
    return emulator


def test_offset_pages_until_a_short_page():
    emulator = quiet(250)
    result = connect(emulator).fetch("contacts", None)
    assert len(result.records) == 250 and result.complete and result.requests == 3
    assert [e[2] for e in emulator.log] == [PATH] * 3
    first = result.records[0]
    assert first["address"] == {"street": "Hauptstraße 0", "zipcode": "80331", "city": "München",
                                "country": {"name": "Deutschland"}}
    assert "reachability" not in first, "the emulator must return only the selected fields"


def test_exact_multiple_of_page_size_needs_one_empty_page():
    emulator = quiet(200)
    result = connect(emulator, page_size=50).fetch("contacts", None)
    assert len(result.records) == 200 and len(emulator.log) == 5


def test_deleted_contacts_are_kept_as_tombstones():
    emulator = quiet(30)
    deleted = emulator.delete("t1", "contacts", 2)
    records = {str(r["id"]): r for r in connect(emulator).fetch("contacts", None).records}
    assert len(records) == 30
    assert all(records[i]["is_deleted"] for i in deleted)
    assert sum(r["is_deleted"] for r in records.values()) == 3 + 2  # 3 were deleted already
    hidden = connect(emulator, show_deleted=False).fetch("contacts", None)
    assert len(hidden.records) == 25


def test_second_run_finds_exactly_the_touched_contacts_changed():
    emulator = quiet(120)
    first = connect(emulator).fetch("contacts", None)
    touched = emulator.touch("t1", "contacts", 4)
    second = connect(emulator).fetch("contacts", None)
    assert second.complete, "no change filter in HERO: every run is a full scan"
    before = {str(r["id"]): content_hash(r) for r in first.records}
    changed = {str(r["id"]) for r in second.records if before[str(r["id"])] != content_hash(r)}
    assert changed == set(touched)


def test_unknown_field_fails_at_once_like_the_real_api():
    emulator = quiet(5)
    fields = DEFAULT_FIELDS.replace("zipcode", "zip_code")
    with pytest.raises(SourceError) as info:
        connect(emulator, contact_fields=fields).fetch("contacts", None)
    assert 'Cannot query field "zip_code" on type "Address"' in str(info.value)
    assert "hero" in str(info.value) and "t1" in str(info.value) and "POST /graphql contacts" in str(info.value)
    assert len(emulator.log) == 1 and emulator.log[0][3] == 200


def test_object_field_without_selection_is_rejected():
    emulator = quiet(5)
    with pytest.raises(SourceError, match="must have a selection of subfields"):
        connect(emulator, contact_fields="id address").fetch("contacts", None)


@pytest.mark.parametrize("fault", ["http_429", "http_5xx", "truncated", "graphql_error"])
def test_transient_faults_are_retried(fault):
    emulator = quiet(10)
    emulator.faults.inject(fault, 2)
    result = connect(emulator).fetch("contacts", None)
    assert len(result.records) == 10
    assert len(emulator.log) == 3  # two faulty answers, then the one page


def test_persistent_5xx_is_a_clear_error_without_the_key():
    emulator = quiet(10)
    emulator.faults.inject("http_5xx", 100, status=502)
    with pytest.raises(SourceError) as info:
        connect(emulator, max_attempts=3).fetch("contacts", None)
    assert info.value.status == 502 and "Service Unavailable" in str(info.value)
    assert KEY not in str(info.value) and len(emulator.log) == 3


def test_500_is_not_in_the_default_retry_set():
    emulator = quiet(10)
    emulator.faults.inject("http_5xx", 1, status=500)
    with pytest.raises(SourceError):
        connect(emulator).fetch("contacts", None)
    assert len(emulator.log) == 1


def test_slow_answers_time_out_and_are_retried():
    emulator = quiet(5)
    emulator.faults.inject("slow", 1, seconds=5)
    result = connect(emulator, timeout_seconds=0.2).fetch("contacts", None)
    assert len(result.records) == 5


def test_wrong_key_is_not_retried_and_not_leaked():
    emulator = make_emulator(5)
    with pytest.raises(SourceError) as info:
        connect(emulator, key="wrong-secret-key").fetch("contacts", None)
    assert info.value.status == 401 and "Unauthorized" in str(info.value)
    assert "wrong-secret-key" not in str(info.value) and len(emulator.log) == 1


def test_unauthorized_answer_is_configurable():
    emulator = make_emulator(5, unauthorized_status=403, unauthorized_body={"message": "Forbidden"})
    with pytest.raises(SourceError) as info:
        connect(emulator, key="nope").fetch("contacts", None)
    assert info.value.status == 403 and "Forbidden" in str(info.value)


@pytest.mark.parametrize("where", ["end", "front"])
def test_contact_created_between_pages_neither_lost_nor_duplicated(where):
    emulator = quiet(20)
    original = {str(c["id"]) for c in emulator.accounts["t1"]}
    emulator.faults.inject("page_changes", 1, where=where)
    result = connect(emulator, page_size=5).fetch("contacts", None)
    ids = [str(r["id"]) for r in result.records]
    assert len(ids) == len(set(ids)), "a shifted page must not duplicate a contact"
    assert original <= set(ids), "no existing contact may be lost"
    if where == "end":  # ordered by id, a new contact comes last and is read in the same run
        assert len(ids) == 21


def test_version_path_is_configurable():
    emulator = make_emulator(5, versions=("v9",))
    emulator.rate_limits_enabled = False
    with pytest.raises(SourceError) as info:
        connect(emulator).fetch("contacts", None)
    assert info.value.status == 404
    result = connect(emulator, graphql_path="/api/external/v9/graphql").fetch("contacts", None)
    assert len(result.records) == 5


def test_complexity_header_is_logged(caplog):
    emulator = quiet(5)
    connector = connect(emulator)
    with caplog.at_level(logging.DEBUG, logger="crm_pipelines.sources.hero.client"):
        connector.fetch("contacts", None)
    assert connector.last_complexity is not None and int(connector.last_complexity) > 5
    assert "X-Complexity" in caplog.text


def test_client_keeps_to_its_request_rate():
    emulator = make_emulator(9, requests_per_second=10, burst=1)  # server limit on: 429 above 10/s
    result = connect(emulator, fast=False, page_size=1, requests_per_second=8).fetch("contacts", None)
    assert len(result.records) == 9
    times = [t for t, *_ in emulator.log]
    assert 429 not in [s for *_, s in emulator.log]
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert rate <= 8.3  # never above its pace (how close it gets is measured by the benchmark)


def test_emulator_enforces_its_limit():
    emulator = make_emulator(5, requests_per_second=2, burst=1)
    connector = connect(emulator)
    statuses = [connector.http._client.post(PATH, json={"query": "{ contacts { id } }"}).status_code
                for _ in range(3)]
    assert statuses[0] == 200 and 429 in statuses[1:]


def test_client_over_a_real_http_socket():
    emulator = make_emulator(130)
    with emulator.serve() as server:
        result = connect(emulator, base_url=server.base_url, fast=False).fetch("contacts", None)
    assert len(result.records) == 130 and [s for *_, s in emulator.log] == [200, 200]
