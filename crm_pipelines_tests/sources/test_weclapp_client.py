"""weclapp client against its emulator: keyset paging, incremental, id-scan deletions, faults, load management."""

from __future__ import annotations

import threading
import time

import pytest

from crm_pipelines.sources._http import SourceError
from crm_pipelines_tests.sources.weclapp_fixtures import TOKEN, connect, make_emulator


def pages(emulator, path="/webapp/api/v2/party"):
    return [entry for entry in emulator.log if entry[2] == path]


def test_full_listing_pages_to_the_end_and_is_complete():
    emulator = make_emulator(parties=1200)
    result = connect(emulator, page_size=500).fetch("contacts", None)
    assert result.complete and len(result.records) == 1200
    assert len({r["id"] for r in result.records}) == 1200
    assert len(pages(emulator)) == 3  # 500 + 500 (+1 boundary re-read) + 202
    assert result.cursor == {"since_ms": max(r["lastModifiedDate"] for r in result.records) - 60_000, "runs": 0}


def test_a_block_of_equal_timestamps_larger_than_a_page_is_stepped_through():
    emulator = make_emulator(parties=40, same_stamp=17)
    result = connect(emulator, page_size=5).fetch("contacts", None)
    assert len({r["id"] for r in result.records}) == 40


def test_second_run_fetches_only_the_changed_records():
    emulator = make_emulator(parties=300)
    connector = connect(emulator, page_size=100)
    first = connector.fetch("contacts", None)
    changed = emulator.touch("t1", "contacts", 5)
    second = connector.fetch("contacts", first.cursor)
    assert not second.complete
    ids = {r["id"] for r in second.records}
    assert set(changed) <= ids and len(ids) <= 7  # the 5 changed + the overlap window's newest record
    assert {r["tags"][0] for r in second.records if r["id"] in changed} == {"geändert-1"}
    assert second.cursor["since_ms"] > first.cursor["since_ms"]


def test_deletions_arrive_through_the_id_scan():
    emulator = make_emulator(parties=50)
    connector = connect(emulator, id_scan_every_runs=2)
    first = connector.fetch("contacts", None)
    gone = emulator.delete("t1", "contacts", 3)
    second = connector.fetch("contacts", first.cursor)
    assert second.present_ids is None and second.cursor["runs"] == 1  # not due yet
    third = connector.fetch("contacts", second.cursor)
    assert third.present_ids is not None and third.cursor["runs"] == 0
    assert set(third.present_ids) == {r["id"] for r in first.records} - set(gone)


@pytest.mark.parametrize("mode", ["delete", "touch", "insert"])
def test_records_changing_between_pages_are_not_skipped(mode):
    emulator = make_emulator(parties=40)
    emulator.faults.inject("page_changes", 1, path="/party", mode=mode)
    connector = connect(emulator, page_size=5)
    original = emulator.faults.take  # the change happens on the third page request
    calls = {"n": 0}

    def take(kind, path):
        if kind == "page_changes":
            calls["n"] += 1
            return original(kind, path) if calls["n"] == 3 else None
        return original(kind, path)

    emulator.faults.take = take
    result = connector.fetch("contacts", None)
    live = {r["id"] for r in emulator.accounts["t1"]["party"]}
    fetched = {r["id"] for r in result.records}
    assert live <= fetched, f"skipped {sorted(live - fetched)}"


def test_count_changed():
    emulator = make_emulator(parties=30)
    connector = connect(emulator)
    assert connector.count_changed("contacts", None) == 30
    emulator.touch("t1", "contacts", 4)
    assert connector.count_changed("party", emulator.accounts["t1"]["party"][-1]["lastModifiedDate"]) == 4


@pytest.mark.parametrize("fault", ["http_429", "http_5xx", "truncated"])
def test_transient_faults_are_retried(fault):
    emulator = make_emulator(parties=10)
    emulator.faults.inject(fault, 2)
    sleeps: list[float] = []
    result = connect(emulator, sleeps=sleeps).fetch("contacts", None)
    assert len(result.records) == 10 and len(emulator.log) == 3
    if fault == "http_429":
        assert sleeps == [1.0, 1.0]  # X-Weclapp-Wait-Ms: 1000


def test_slow_answer_times_out_and_is_retried():
    emulator = make_emulator(parties=5)
    emulator.faults.inject("slow", 1, seconds=5)
    assert len(connect(emulator, timeout_seconds=0.2).fetch("contacts", None).records) == 5


def test_persistent_server_error_is_a_clear_error_without_the_token():
    emulator = make_emulator(parties=5)
    emulator.faults.inject("http_5xx", 100)
    with pytest.raises(SourceError) as info:
        connect(emulator, max_attempts=3).fetch("tasks", None)
    message = str(info.value)
    assert "weclapp" in message and "t1" in message and "GET /task" in message and "HTTP 503" in message
    assert "temporarily unavailable" in message and TOKEN not in message
    assert len(emulator.log) == 3


def test_wrong_token_fails_at_once():
    emulator = make_emulator()
    with pytest.raises(SourceError) as info:
        connect(emulator, token="not-the-token").fetch("users", None)
    assert info.value.status == 401 and "not-the-token" not in str(info.value) and len(emulator.log) == 1


@pytest.mark.parametrize("params, expected", [
    ({"name-eq": "x"}, "property name is unknown"),
    ({"properties": "id,name"}, "property name is unknown"),
    ({"partyType-eq": "COMPANY"}, "unknown enum value 'COMPANY'"),
    ({"mobilePhone1-eq": "1"}, "mobilePhone1 is not filterable"),
    ({"pageSize": 1001}, "pageSize between 1 and 1000"),
])
def test_validation_problems_are_reported(params, expected):
    emulator = make_emulator()
    with pytest.raises(SourceError) as info:
        connect(emulator).http.request_json("GET", "/party", params=params)
    assert info.value.status == 400 and expected in str(info.value)


def test_filters_and_properties_and_serialize_nulls():
    emulator = make_emulator(parties=20)
    http = connect(emulator).http
    orgs = http.request_json("GET", "/party", params={"partyType-eq": "ORGANIZATION", "properties": "id,company",
                                                      "pageSize": 100})["result"]
    assert len(orgs) == 5 and set(orgs[0]) == {"id", "company"}
    bare = http.request_json("GET", "/party/id/1001")
    assert "company" not in bare and bare["parentPartyId"] == "1000"  # nulls left out without serializeNulls
    cities = http.request_json("GET", "/party", params={"properties": "addresses.city", "id-eq": "1000"})
    assert cities["result"] == [{"addresses": [{"city": "München"}]}]


def _parallel(connectors_objects):
    errors: list[Exception] = []

    def run(connector, obj):
        try:
            connector.fetch(obj, None)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=pair) for pair in connectors_objects]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_client_stays_within_the_tenant_concurrency_limit():
    emulator = make_emulator(parties=40, tasks=40, users=40, concurrency=2, queue_seconds=0.0, latency=0.02)
    base = "http://limit.weclapp.test/webapp/api/v2"
    pairs = [(connect(emulator, base_url=base, page_size=5, max_concurrent_requests=2), obj)
             for obj in ("contacts", "tasks", "users")]
    assert _parallel(pairs) == []
    assert 429 not in [status for *_, status in emulator.log]
    assert emulator.max_in_flight["t1"] == 2  # concurrent, but never above the limit


def test_overload_queues_then_answers_429_with_a_wait_hint_that_is_honoured():
    emulator = make_emulator(parties=40, tasks=40, users=40, concurrency=1, queue_seconds=0.0, latency=0.02,
                             wait_hint_ms=30)
    base = "http://overload.weclapp.test/webapp/api/v2"

    class Sleeps(list):
        def append(self, seconds):  # record the wait and really wait
            super().append(seconds)
            time.sleep(seconds)

    sleeps = Sleeps()
    pairs = [(connect(emulator, base_url=base, page_size=5, max_concurrent_requests=3, sleeps=sleeps,
                      max_attempts=40), obj)
             for obj in ("contacts", "tasks", "users")]
    assert _parallel(pairs) == []
    assert 429 in [status for *_, status in emulator.log]
    assert sleeps and set(sleeps) == {0.03}
    assert emulator.max_in_flight["t1"] == 1


def test_a_short_queue_wait_is_absorbed_by_the_server():
    emulator = make_emulator(parties=20, tasks=20, concurrency=1, queue_seconds=5.0, latency=0.02)
    base = "http://queue.weclapp.test/webapp/api/v2"
    pairs = [(connect(emulator, base_url=base, page_size=5, max_concurrent_requests=2), obj)
             for obj in ("contacts", "tasks")]
    assert _parallel(pairs) == [] and 429 not in [s for *_, s in emulator.log]


def test_client_over_a_real_http_socket():
    emulator = make_emulator(parties=120, tasks=30, users=3)
    with emulator.serve() as server:
        connector = connect(emulator, base_url=f"{server.base_url}/webapp/api/v2", page_size=50)
        contacts = connector.fetch("contacts", None)
        tasks = connector.fetch("tasks", None)
        emulator.touch("t1", "tasks", 2)
        again = connector.fetch("tasks", tasks.cursor)
    assert len(contacts.records) == 120 and len(tasks.records) == 30
    assert len(again.records) <= 3 and set(again.present_ids) == {r["id"] for r in tasks.records}
    assert {s for *_, s in emulator.log} == {200}


def test_probe_changes_counts_only_what_changed_since_the_token():
    from crm_pipelines.sources.weclapp import SOURCE

    emulator = SOURCE.emulator()
    emulator.rate_limits_enabled = False
    from crm_pipelines.sources.base import ConnectContext
    from crm_pipelines.sources.weclapp.client import WeclappOptions

    def connector():
        return SOURCE.connect(ConnectContext(
            tenant_id="bau-mueller", base_url="http://weclapp.test/webapp/api/v2",
            credentials=SOURCE.demo_credentials("bau-mueller"), options=WeclappOptions(),
            transport=emulator.transport(), sleep=lambda s: None))

    changed, token = connector().probe_changes(None)
    assert changed == 0 and token.isdigit()
    assert connector().probe_changes(token)[0] == 0
    emulator.touch("bau-mueller", "contacts", 3)
    emulator.touch("bau-mueller", "tasks", 2)
    changed, later = connector().probe_changes(token)
    assert changed == 5 and int(later) >= int(token)
