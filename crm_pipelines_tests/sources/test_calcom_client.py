"""Cal.com client against its emulator: team event types, versions, empty-404, faults, rate limit."""

from __future__ import annotations

import time

import httpx
import pytest

from crm_pipelines.sources._http import SourceError
from crm_pipelines.warehouse.raw_load import content_hash
from crm_pipelines_tests.sources.calcom_fixtures import KEY, connect, make_emulator

PATH = "/v2/teams/{}/event-types"


def test_event_types_of_every_team_in_one_request_each():
    emulator = make_emulator({42: 5, 43: 7})
    result = connect(emulator, [42, 43]).fetch("event_types", None)
    assert result.complete and result.requests == 2
    assert sorted(r["id"] for r in result.records) == [4201 + i for i in range(5)] + [4301 + i for i in range(7)]
    assert {r["teamId"] for r in result.records} == {42, 43}
    assert all("lengthInMinutes" in r and "length" not in r for r in result.records), "cal-api-version not sent"
    assert [path for _, _, path, _ in emulator.log] == [PATH.format(42), PATH.format(43)]


def test_a_team_without_event_types_is_an_empty_list_not_an_error():
    emulator = make_emulator({42: 3, 43: 0})
    result = connect(emulator, [42, 43]).fetch("event_types", None)
    assert len(result.records) == 3 and result.complete
    assert [s for *_, s in emulator.log] == [200, 404]  # read as empty, not retried


def test_empty_list_as_200_is_read_too():
    emulator = make_emulator({43: 0}, empty_as_404=False)
    assert connect(emulator, [43]).fetch("event_types", None).records == []


@pytest.mark.parametrize("options", [{"api_version": "2024-08-13"}, {}])
def test_other_404s_are_errors_not_empty_lists(options):
    emulator = make_emulator({42: 3})
    connector = connect(emulator, [42], **options)
    with pytest.raises(SourceError) as info:
        if options:  # a wrong cal-api-version: the route does not exist for that version
            connector.fetch("event_types", None)
        else:  # a wrong path
            connector.http.request_json("GET", "/v2/team/42/event-types", empty_statuses=(404,),
                                        empty_when=connector._is_empty_list)
    assert info.value.status == 404 and "NotFoundException: Cannot GET /v2/" in str(info.value)
    assert len(emulator.log) == 1


def test_without_version_header_the_legacy_shape_comes_back():
    emulator = make_emulator({42: 2})
    body = connect(emulator, [42]).http.request_json("GET", PATH.format(42))
    assert all("length" in r and "lengthInMinutes" not in r for r in body["data"])


def test_touch_changes_exactly_n_records_and_delete_removes_them():
    emulator = make_emulator({42: 10, 43: 10})
    first = connect(emulator, [42, 43]).fetch("event_types", None)
    hashes = {str(r["id"]): content_hash(r) for r in first.records}
    touched = emulator.touch("t1", "event_types", 3)
    deleted = emulator.delete("t1", "event_types", 2)
    grown = emulator.grow("t1", "event_types", 4)
    second = connect(emulator, [42, 43]).fetch("event_types", None)
    assert second.complete  # a full fetch: ids missing from it are deletions
    now = {str(r["id"]): content_hash(r) for r in second.records}
    assert set(deleted) == set(hashes) - set(now) and len(deleted) == 2
    assert set(grown) == set(now) - set(hashes) and len(grown) == 4
    changed = {i for i in now.keys() & hashes.keys() if now[i] != hashes[i]}
    assert changed == set(touched) - set(deleted) and len(touched) == 3


@pytest.mark.parametrize("fault", ["http_429", "http_5xx", "truncated"])
def test_transient_faults_are_retried(fault):
    emulator = make_emulator({42: 4})
    emulator.faults.inject(fault, 2)
    result = connect(emulator, [42]).fetch("event_types", None)
    assert len(result.records) == 4 and result.requests == 3
    assert len(emulator.log) == 3


def test_429_waits_for_the_reset_header():
    emulator = make_emulator({42: 4})
    emulator.faults.inject("http_429", 1, reset=7)
    sleeps: list[float] = []
    connect(emulator, [42], sleeps=sleeps).fetch("event_types", None)
    assert sleeps == [7.0]


def test_slow_answers_time_out_and_are_retried():
    emulator = make_emulator({42: 4})
    emulator.faults.inject("slow", 1, seconds=5)
    result = connect(emulator, [42], timeout_seconds=0.2).fetch("event_types", None)
    assert len(result.records) == 4


def test_persistent_server_errors_give_a_clear_error_without_the_key():
    emulator = make_emulator({42: 4})
    emulator.faults.inject("http_5xx", 100, status=503)
    with pytest.raises(SourceError) as info:
        connect(emulator, [42], max_attempts=3).fetch("event_types", None)
    message = str(info.value)
    assert "calcom" in message and "t1" in message and f"GET {PATH.format(42)}" in message
    assert "HTTP 503" in message and "ServiceUnavailableException" in message and KEY not in message
    assert len(emulator.log) == 3


def test_wrong_key_is_not_retried_and_not_leaked():
    emulator = make_emulator({42: 4}, require_auth=True)
    with pytest.raises(SourceError) as info:
        connect(emulator, [42], key="cal_live_wrong_secret").fetch("event_types", None)
    assert info.value.status == 401 and "UnauthorizedException" in str(info.value)
    assert "cal_live_wrong_secret" not in str(info.value) and len(emulator.log) == 1


def test_client_paces_itself_by_the_rate_limit_headers():
    emulator = make_emulator({team: 1 for team in range(1, 11)}, requests_per_window=4, window_seconds=1.0)
    connector = connect(emulator, list(range(1, 11)), real_sleep=True)
    result = connector.fetch("event_types", None)
    assert len(result.records) == 10
    times = [t for t, *_ in emulator.log]
    assert 429 not in [s for *_, s in emulator.log], "the client went over the limit"
    assert all(times[i + 4] - times[i] >= 0.99 for i in range(len(times) - 4)), "more than 4 requests in 1 s"
    assert connector.pacer.waited <= 3.0 and times[-1] - times[0] < 3.5


def test_a_blocked_key_is_retried_after_the_reset():
    emulator = make_emulator({42: 2}, requests_per_window=2, window_seconds=1.0, block_seconds=1.0)
    other_job = httpx.Client(transport=emulator.transport(), base_url="http://calcom.test",
                             headers={"Authorization": f"Bearer {KEY}", "cal-api-version": "2024-06-14"})
    assert [other_job.get(PATH.format(42)).status_code for _ in range(3)] == [200, 200, 429]  # key blocked
    emulator.log.clear()
    started = time.monotonic()
    result = connect(emulator, [42], real_sleep=True, max_attempts=3).fetch("event_types", None)
    assert len(result.records) == 2
    assert [s for *_, s in emulator.log] == [429, 200]
    assert 0.9 <= time.monotonic() - started < 2.5  # waited the announced reset (1 s), not a blind backoff


def test_client_over_a_real_http_socket():
    emulator = make_emulator({42: 3, 43: 2})
    with emulator.serve() as server:
        result = connect(emulator, [42, 43], base_url=server.base_url, real_sleep=True).fetch("event_types", None)
    assert len(result.records) == 5 and [s for *_, s in emulator.log] == [200, 200]
