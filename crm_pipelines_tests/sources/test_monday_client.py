"""monday.com client against its emulator: cursor paging, incremental rule, deletions, errors, socket."""

from __future__ import annotations

import pytest

from crm_pipelines.sources._http import SourceError
from crm_pipelines_tests.sources.monday_fixtures import TOKEN, FakeClock, board_options, connect, make_emulator


def quiet(*args, **kwargs):
    emulator = make_emulator(*args, **kwargs)
    emulator.rate_limits_enabled = False
    return emulator


def ids(result):
    return [str(r["id"]) for r in result.records]


def test_first_run_pages_every_board_with_the_pinned_version():
    emulator = quiet(250, 10)
    result = connect(emulator, page_size=100).fetch("contacts", None)
    assert result.complete and len(result.records) == 260 and len(set(ids(result))) == 260
    assert result.requests == 3 + 1  # customers: 100+100+50, suppliers: 10
    assert set(emulator.versions_seen) == {"2025-04"}
    roles = {r["_crm"]["role"] for r in result.records}
    assert roles == {"customer", "supplier"} and result.cursor["boards"]["111"]["since"] == "2025-02-11T09:00:00Z"


def test_bearer_scheme_and_page_size_limit():
    emulator = quiet(5, 5)
    assert len(connect(emulator, auth_scheme="bearer").fetch("contacts", None).records) == 10
    with pytest.raises(ValueError):
        connect(emulator, page_size=501)


def test_second_run_reads_only_the_touched_items():
    emulator = quiet(200, 50)
    first = connect(emulator).fetch("contacts", None)
    touched = emulator.touch("t1", "contacts", 5)
    second = connect(emulator).fetch("contacts", first.cursor)
    assert not second.complete and set(touched) <= set(ids(second))
    assert len(second.records) <= 5 + 2, "besides the touched items only each board's newest (the cursor) again"
    assert second.deleted_ids == [] and len(second.present_ids) == 250
    third = connect(emulator).fetch("contacts", second.cursor)
    assert set(touched) <= set(ids(third)) and len(third.records) == 5 + 1, "overlap: the last changes again"
    assert len(connect(emulator, overlap_seconds=0).fetch("contacts", third.cursor).records) <= 2


def test_deleted_and_archived_items_arrive_as_deleted_ids():
    emulator = quiet(40, 10)
    first = connect(emulator).fetch("contacts", None)
    deleted = emulator.delete("t1", "contacts", 2)
    archived = emulator.delete("t1", "contacts", 1, state="archived")
    second = connect(emulator).fetch("contacts", first.cursor)
    assert set(second.deleted_ids) == set(deleted + archived)
    assert not set(second.deleted_ids) & set(second.present_ids) and len(second.present_ids) == 47
    third = connect(emulator).fetch("contacts", second.cursor)
    assert third.deleted_ids == [], "a deletion is reported once"


def test_id_scan_cadence():
    emulator = quiet(30, 10)
    cursor = connect(emulator).fetch("contacts", None).cursor
    gone = emulator.delete("t1", "contacts", 1)
    never = connect(emulator, id_scan_every=0).fetch("contacts", cursor)
    assert never.deleted_ids == [] and never.present_ids is None and never.requests == 2
    second = connect(emulator, id_scan_every=2).fetch("contacts", cursor)
    assert second.deleted_ids == [] and second.present_ids is None
    third = connect(emulator, id_scan_every=2).fetch("contacts", second.cursor)
    assert third.deleted_ids == gone


def test_a_page_shifted_by_a_deletion_does_not_delete_a_live_item():
    emulator = quiet(30, 0)
    first = connect(emulator, boards=board_options("111")).fetch("contacts", None)
    emulator.faults.inject("page_changes", 1, action="delete")  # hits the id scan's second page
    result = connect(emulator, boards=board_options("111"), id_scan_page_size=10).fetch("contacts", first.cursor)
    really_gone = [i["id"] for i in emulator.accounts["t1"]["111"]["items"] if i["state"] != "active"]
    assert len(really_gone) == 1 and result.deleted_ids == [], "the skipped item was confirmed alive"
    assert len(result.present_ids) == 30 and [e[2] for e in emulator.log].count("/v2") == 1 + 1 + 3 + 1  # full, listing, 3 scan pages, check
    after = connect(emulator, boards=board_options("111")).fetch("contacts", result.cursor)
    assert after.deleted_ids == really_gone, "deleted after the scan saw it: reported by the next run"


def test_item_created_between_pages_is_not_duplicated():
    emulator = quiet(30, 0)
    emulator.faults.inject("page_changes", 1)
    result = connect(emulator, boards=board_options("111"), page_size=10).fetch("contacts", None)
    assert len(ids(result)) == len(set(ids(result))) == 30


def test_expired_cursor_restarts_the_board_scan():
    emulator = quiet(30, 5)
    emulator.faults.inject("expired_cursor", 1)
    connector = connect(emulator, page_size=10)
    result = connector.fetch("contacts", None)
    assert len(set(ids(result))) == len(ids(result)) == 35 and connector.restarts == 1
    emulator.faults.inject("expired_cursor", 10)
    with pytest.raises(SourceError, match="CursorExpiredError"):
        connect(emulator, page_size=10, cursor_restarts=2).fetch("contacts", None)


def test_cursor_older_than_its_ttl_expires():
    clock = FakeClock()
    emulator = quiet(30, 0, clock=clock, cursor_ttl=3600)
    jumps = [3601.0]  # the first pacing sleep lasts past the cursor's lifetime

    def sleep(seconds):
        clock.sleep(jumps.pop() if jumps else 0.0)

    connector = connect(emulator, boards=board_options("111"), page_size=10, pace_after_page=True, sleep=sleep)
    assert len(connector.fetch("contacts", None).records) == 30 and connector.restarts == 1


@pytest.mark.parametrize("style,status", [("current", 200), ("current_429", 429), ("legacy", 429)])
def test_complexity_budget_errors_are_waited_out(style, status):
    clock = FakeClock()
    emulator = make_emulator(50, 0, clock=clock, budget=2000, budget_error_style=style)
    result = connect(emulator, boards=board_options("111"), page_size=10, sleep=clock.sleep).fetch("contacts", None)
    assert len(result.records) == 50 and emulator.budget_errors >= 1
    assert status in [s for *_, s in emulator.log]
    hinted = [s for s in clock.sleeps if s >= 1.0]  # sub-second sleeps are the client's own pacing
    assert hinted and all(40 <= s <= 60 for s in hinted), "waits come from the server's reset hint"


def test_sdk_pacing_keeps_under_the_budget():
    clock = FakeClock()
    emulator = make_emulator(60, 0, clock=clock, budget=4000)
    result = connect(emulator, boards=board_options("111"), page_size=10, pace_after_page=True,
                     pace_budget_per_minute=4000, sleep=clock.sleep).fetch("contacts", None)
    assert len(result.records) == 60 and emulator.budget_errors == 0
    charges = emulator.charges
    for start, _ in charges:  # points charged in any 60 s window
        assert sum(cost for t, cost in charges if start <= t < start + 60) <= 4000


@pytest.mark.parametrize("fault,options", [("http_429", {"seconds": 1}), ("http_429", {"style": "rate"}),
                                           ("http_5xx", {}), ("truncated", {}), ("graphql_error", {})])
def test_transient_faults_are_retried(fault, options):
    emulator = quiet(10, 0)
    emulator.faults.inject(fault, 2, **options)
    result = connect(emulator, boards=board_options("111")).fetch("contacts", None)
    assert len(result.records) == 10 and len(emulator.log) == 3


def test_slow_answer_times_out_and_is_retried():
    emulator = quiet(5, 0)
    emulator.faults.inject("slow", 1, seconds=5)
    assert len(connect(emulator, boards=board_options("111"), timeout_seconds=0.2).fetch("contacts", None).records) == 5


def test_daily_limit_is_a_clear_error_at_once():
    emulator = quiet(5, 0)
    emulator.faults.inject("graphql_error", 5, code="DAILY_LIMIT_EXCEEDED", message="Daily limit exceeded")
    with pytest.raises(SourceError) as info:
        connect(emulator).fetch("contacts", None)
    message = str(info.value)
    assert "DAILY_LIMIT_EXCEEDED" in message and "monday" in message and "t1" in message and "board 111" in message
    assert len(emulator.log) == 1 and TOKEN not in message


def test_unknown_field_and_bad_limit_fail_like_the_real_api():
    emulator = quiet(5, 0)
    connector = connect(emulator)
    with pytest.raises(SourceError, match='Cannot query field "emial" on type "Item"'):
        connector._post("POST /v2 test", "query { boards(ids: [111]) { items_page { items { emial } } } }", {})
    with pytest.raises(SourceError, match="limit must be between 1 and 500"):
        connector._post("POST /v2 test", "query { boards(ids: [111]) { items_page(limit: 501) { cursor } } }", {})
    with pytest.raises(SourceError, match="not found or not accessible"):
        connect(emulator, boards=[{"board_id": "999", "role": "customer"}]).fetch("contacts", None)
    assert len(emulator.log) == 3


def test_wrong_token_is_not_retried_and_not_leaked():
    emulator = make_emulator(5, 0)
    with pytest.raises(SourceError) as info:
        connect(emulator, token="wrong-secret-token").fetch("contacts", None)
    assert info.value.status == 401 and "wrong-secret-token" not in str(info.value) and len(emulator.log) == 1


def test_rate_limit_headers_are_sent():
    emulator = quiet(5, 0)
    response = connect(emulator).http._client.post("/v2", json={"query": "{ complexity { before after } }"})
    assert response.headers["RateLimit-Policy"].startswith('"complexity";q=10000000')
    assert response.json()["data"]["complexity"]["before"] == 10_000_000


def test_client_over_a_real_http_socket():
    emulator = make_emulator(120, 10)
    with emulator.serve() as server:
        connector = connect(emulator, base_url=server.base_url, requests_per_second=10.0)
        first = connector.fetch("contacts", None)
        touched = emulator.touch("t1", "contacts", 2)
        second = connector.fetch("contacts", first.cursor)
    assert len(first.records) == 130 and set(touched) <= set(ids(second)) and len(second.records) <= 2 + 2
    assert {s for *_, s in emulator.log} == {200}


def test_probe_changes_counts_boards_with_items_updated_since_the_token():
    emulator = quiet(30, 10)
    changed, token = connect(emulator).probe_changes(None)
    assert changed == 0 and token.endswith("Z") and emulator.charges == []  # a baseline asks nothing
    probe = connect(emulator)
    assert probe.probe_changes(token) == (0, probe.probe_changes(token)[1])
    assert probe.http.requests == 4  # one items_page(limit: 1) of ids per board
    emulator.touch("t1", "contacts", 3)  # three items of the first board
    changed, later = connect(emulator).probe_changes(token)
    assert changed == 1 and later >= token
    emulator.add_item("t1", "222")
    assert connect(emulator).probe_changes(token)[0] == 2
    with pytest.raises(SourceError, match="not found"):
        connect(emulator, boards=board_options("111") + [{"board_id": "999", "role": "customer"}]).probe_changes(token)
