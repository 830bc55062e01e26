"""Lexware Office client against its emulator: paging, rate limit, retries, errors, incremental vouchers."""

from __future__ import annotations

import pytest

from crm_pipelines.sources._http import SourceError
from crm_pipelines.sources.base import ConnectContext
from crm_pipelines.sources.lexware.client import LexwareConnector, LexwareOptions
from crm_pipelines_tests.sources.lexware_fixtures import KEY, make_emulator


def connect(emulator, base_url="http://lexware.test", fast=True, key=KEY, **options) -> LexwareConnector:
    defaults = {"requests_per_second": 1000.0} if fast else {}
    return LexwareConnector(ConnectContext(
        tenant_id="t1", base_url=base_url, credentials={"api_key": key},
        options=LexwareOptions(**{**defaults, **options}),
        transport=None if base_url.startswith("http://127.") else emulator.transport(),
        sleep=(lambda s: None) if fast else None))


def test_contacts_are_paged_to_the_end_with_size_250():
    emulator = make_emulator(contacts=600)
    emulator.rate_limits_enabled = False
    result = connect(emulator).fetch("contacts", None)
    assert len(result.records) == 600 and result.complete
    pages = [entry for entry in emulator.log if entry[2] == "/v1/contacts"]
    assert len(pages) == 3  # 250 + 250 + 100


def test_small_page_size_is_honoured():
    emulator = make_emulator(contacts=30)
    emulator.rate_limits_enabled = False
    result = connect(emulator, page_size=7).fetch("contacts", None)
    assert len(result.records) == 30 and len(emulator.log) == 5


def test_client_never_exceeds_two_requests_per_second():
    emulator = make_emulator(contacts=9)  # limit on: 429 above 2 requests/s
    connector = connect(emulator, fast=False, page_size=1)
    result = connector.fetch("contacts", None)
    assert len(result.records) == 9
    times = [t for t, *_ in emulator.log]
    statuses = [status for *_, status in emulator.log]
    assert 429 not in statuses, "the client went over the limit"
    assert all(b - a >= 0.45 for a, b in zip(times, times[1:])), "requests closer than the 2/s spacing"
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert rate <= 2.05  # never above the limit (how close it gets is measured by the benchmark)


@pytest.mark.parametrize("fault", ["http_429", "http_5xx", "truncated"])
def test_transient_faults_are_retried(fault):
    emulator = make_emulator(contacts=10)
    emulator.rate_limits_enabled = False
    emulator.faults.inject(fault, 2)
    result = connect(emulator).fetch("contacts", None)
    assert len(result.records) == 10
    assert len(emulator.log) == 3  # two faulty answers, then the page


def test_persistent_malformed_page_is_a_clear_error():
    emulator = make_emulator(contacts=10)
    emulator.rate_limits_enabled = False
    emulator.faults.inject("truncated", 100)
    with pytest.raises(SourceError) as info:
        connect(emulator, max_attempts=3).fetch("contacts", None)
    message = str(info.value)
    assert "lexware" in message and "t1" in message and "GET /v1/contacts" in message
    assert "malformed JSON" in message and KEY not in message


def test_slow_answers_time_out_and_are_retried():
    emulator = make_emulator(contacts=5)
    emulator.rate_limits_enabled = False
    emulator.faults.inject("slow", 1, seconds=5)
    result = connect(emulator, timeout_seconds=0.2).fetch("contacts", None)
    assert len(result.records) == 5


def test_wrong_key_is_not_retried_and_not_leaked():
    emulator = make_emulator(contacts=5)
    with pytest.raises(SourceError) as info:
        connect(emulator, key="wrong-secret-key").fetch("contacts", None)
    assert info.value.status == 401 and "Unauthorized" in str(info.value)
    assert "wrong-secret-key" not in str(info.value)
    assert len(emulator.log) == 1


def test_legacy_error_format_is_read():
    emulator = make_emulator(contacts=5)
    emulator.rate_limits_enabled = False
    with pytest.raises(SourceError) as info:
        connect(emulator, page_size=250).http.request_json("GET", "/v1/contacts", params={"size": 999})
    assert "invalid_value@size" in str(info.value)


def test_regular_error_format_is_read():
    emulator = make_emulator(contacts=5)
    emulator.rate_limits_enabled = False
    with pytest.raises(SourceError) as info:
        connect(emulator).http.request_json("GET", "/v1/voucherlist", params={"voucherType": "invoice"})
    assert info.value.status == 400 and "voucherStatus" in str(info.value) and "NOTNULL" in str(info.value)


def test_vouchers_are_incremental_by_updated_date():
    emulator = make_emulator(contacts=10, vouchers=200)
    emulator.rate_limits_enabled = False
    first = connect(emulator).fetch("vouchers", None)
    assert len(first.records) == 200 and first.complete and first.cursor
    changed = emulator.touch_vouchers("t1", 5)
    second = connect(emulator).fetch("vouchers", first.cursor)
    assert not second.complete
    ids = {r["id"] for r in second.records}
    assert set(changed) <= ids
    assert len(second.records) < 30, "an incremental run must not re-read everything"
    assert {r["voucherStatus"] for r in second.records if r["id"] in changed} == {"paid"}


def test_page_changing_between_requests_does_not_duplicate():
    emulator = make_emulator(contacts=20)
    emulator.rate_limits_enabled = False
    emulator.faults.inject("page_changes", 1, path="/v1/contacts")
    result = connect(emulator, page_size=5).fetch("contacts", None)
    ids = [r["id"] for r in result.records]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 20


def test_client_over_a_real_http_socket():
    emulator = make_emulator(contacts=260, vouchers=10)
    with emulator.serve() as server:
        connector = connect(emulator, base_url=server.base_url, fast=False)
        contacts = connector.fetch("contacts", None)
        vouchers = connector.fetch("vouchers", None)
    assert len(contacts.records) == 260 and len(vouchers.records) == 10
    assert [s for *_, s in emulator.log] == [200, 200, 200]
