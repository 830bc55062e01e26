"""Microsoft 365 client: token handling, mailbox concurrency, request budget, throttling and faults."""

from __future__ import annotations

import pytest

from crm_pipelines.sources._http import SourceError
from crm_pipelines.sources.ms365.auth import TokenProvider
from crm_pipelines_tests.sources.ms365_fixtures import (CLIENT_ID, SECRET, UPN_A, connect, make_emulator,
                                                         subfolder_ids)


def token_requests(emulator):
    return [e for e in emulator.log if e[2].endswith("/oauth2/v2.0/token")]


def test_token_is_fetched_once_and_cached_across_runs():
    emulator = make_emulator({UPN_A: {"contacts": 50}})
    connector = connect(emulator, page_size=10)
    first = connector.fetch("contacts", None)
    connector.fetch("contacts", first.cursor)
    assert len(token_requests(emulator)) == 1 and connector.tokens.fetched == 1


def test_token_is_renewed_the_margin_before_it_expires():
    emulator = make_emulator()
    now = [0.0]
    connector = connect(emulator)
    provider = TokenProvider(connector._token_http, "http://login.test/{tenant}/oauth2/v2.0/token",
                             {"tenant_id": "0f5c2a1e-1111-4b8e-9d3c-5a0e2f7b9c11", "client_id": CLIENT_ID,
                              "client_secret": SECRET}, margin_seconds=60, clock=lambda: now[0])
    token = provider.token()
    now[0] = 3599 - 61
    assert provider.token() == token
    now[0] = 3599 - 59
    assert provider.token() != token and provider.fetched == 2


def test_a_rejected_token_is_refreshed_once():
    emulator = make_emulator()
    connector = connect(emulator)
    first = connector.fetch("contacts", None)
    emulator.revoke_tokens()
    emulator.touch("t1", "contacts", 1)
    second = connector.fetch("contacts", first.cursor)
    assert len(second.records) == 1 and len(token_requests(emulator)) == 2
    assert [e[3] for e in emulator.log].count(401) == 1


def test_a_token_rejected_again_is_an_error_after_one_refresh():
    emulator = make_emulator()
    emulator.reject_tokens = True
    with pytest.raises(SourceError) as info:
        connect(emulator).fetch("contacts", None)
    assert info.value.status == 401 and "InvalidAuthenticationToken" in str(info.value)
    assert len(token_requests(emulator)) == 2


def test_wrong_secret_gives_the_aad_error_without_the_secret():
    emulator = make_emulator()
    with pytest.raises(SourceError) as info:
        connect(emulator, secret="wrong-secret-value").fetch("contacts", None)
    message = str(info.value)
    assert info.value.status == 401 and "invalid_client" in message and "AADSTS7000215" in message
    assert "POST /oauth2/v2.0/token" in message and "wrong-secret-value" not in message and SECRET not in message
    assert len(emulator.log) == 1


def test_unknown_azure_tenant():
    emulator = make_emulator()
    connector = connect(emulator)
    connector.tokens.token_url = "http://login.test/not-a-tenant/oauth2/v2.0/token"
    with pytest.raises(SourceError, match="AADSTS90002"):
        connector.fetch("contacts", None)


def _six_folder_emulator(**kwargs):
    return make_emulator({UPN_A: {"contacts": 12, **{f"Ordner{i}": 12 for i in range(5)}}},
                         latency=0.03, **kwargs)


def test_at_most_four_requests_in_flight_per_mailbox():
    emulator = _six_folder_emulator()
    result = connect(emulator, page_size=3, max_workers=8,
                     subfolders={UPN_A: subfolder_ids(emulator, UPN_A)}).fetch("contacts", None)
    assert len(result.records) == 72
    assert 429 not in [e[3] for e in emulator.log]
    assert emulator.max_in_flight[UPN_A] == 4  # parallel, but never above Outlook's limit


def test_more_than_four_in_flight_is_throttled_by_the_emulator_and_retried():
    emulator = _six_folder_emulator()
    sleeps: list[float] = []
    result = connect(emulator, page_size=3, max_workers=8, max_concurrent_per_mailbox=6, sleeps=sleeps,
                     max_attempts=20, subfolders={UPN_A: subfolder_ids(emulator, UPN_A)}).fetch("contacts", None)
    assert len(result.records) == 72
    assert 429 in [e[3] for e in emulator.log] and 1.0 in sleeps  # Retry-After: 1 honoured


def test_client_paces_requests_under_the_mailbox_budget():
    emulator = make_emulator({UPN_A: {"contacts": 30}}, budget=12, budget_window=1.0)
    result = connect(emulator, page_size=1, requests_per_second_per_mailbox=10.0, burst_per_mailbox=1,
                     sleeps=None, base_url="http://graph.test").fetch("contacts", None)
    assert len(result.records) == 30
    times = [t for t, _, path, status in emulator.log if path.startswith("/v1.0/")]
    assert 429 not in [e[3] for e in emulator.log]
    for i, start in enumerate(times):  # the emulator's own window never saw more than 12
        assert sum(1 for t in times[i:] if t - start < 1.0) <= 12
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert rate <= 10.5  # never above its pace (how close it gets is measured by the benchmark)


def test_budget_exhausted_answers_429_and_the_client_waits_for_the_window():
    emulator = make_emulator({UPN_A: {"contacts": 8}}, budget=5, budget_window=1.0)
    result = connect(emulator, page_size=1, sleeps=None).fetch("contacts", None)
    assert len(result.records) == 8 and 429 in [e[3] for e in emulator.log]
    emulator = make_emulator({UPN_A: {"contacts": 8}}, budget=3, budget_window=600.0)
    with pytest.raises(SourceError) as info:
        connect(emulator, page_size=1, max_attempts=1).fetch("contacts", None)
    assert info.value.status == 429 and "ApplicationThrottled: Application is over its MailboxRequestLimit" in str(
        info.value)


@pytest.mark.parametrize("fault", ["http_429", "http_5xx", "truncated"])
def test_transient_faults_are_retried(fault):
    emulator = make_emulator()
    emulator.faults.inject(fault, 2, path="/v1.0/")
    sleeps: list[float] = []
    result = connect(emulator, sleeps=sleeps).fetch("contacts", None)
    assert len(result.records) == 30 and len(emulator.log) == 4  # token + 2 faults + the page
    if fault != "truncated":
        assert sleeps == [1.0, 1.0]


def test_missing_retry_after_falls_back_to_exponential_backoff():
    emulator = make_emulator(send_retry_after=False)
    emulator.faults.inject("http_429", 3, path="/v1.0/")
    sleeps: list[float] = []
    result = connect(emulator, sleeps=sleeps, backoff_base_seconds=0.5).fetch("contacts", None)
    assert len(result.records) == 30 and len(sleeps) == 3
    assert all(0.5 <= s <= 0.5 * 2 ** (n + 1) for n, s in enumerate(sleeps)) and 1.0 not in sleeps


def test_slow_answers_time_out_and_are_retried():
    emulator = make_emulator()
    emulator.faults.inject("slow", 1, path="/v1.0/", seconds=5)
    assert len(connect(emulator, timeout_seconds=0.2).fetch("contacts", None).records) == 30


def test_persistent_outage_is_a_clear_error():
    emulator = make_emulator()
    emulator.faults.inject("http_5xx", 100, path="/v1.0/", status=504, omit_retry_after=True)
    with pytest.raises(SourceError) as info:
        connect(emulator, max_attempts=3).fetch("contacts", None)
    message = str(info.value)
    assert "ms365" in message and "t1" in message and f"GET /users/{UPN_A}/contactFolders/contacts" in message
    assert "HTTP 504" in message and "UnknownError" in message
