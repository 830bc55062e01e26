"""Microsoft 365 client against its emulator: delta rounds, paging, incremental, deletions, resync."""

from __future__ import annotations

import pytest

from crm_pipelines.sources._http import SourceError
from crm_pipelines_tests.sources.ms365_fixtures import (SECRET, UPN_A, UPN_B, connect, make_emulator,
                                                         subfolder_ids)


def graph_requests(emulator):
    return [e for e in emulator.log if e[2].startswith("/v1.0/")]


def test_first_run_is_the_full_set_paged_by_nextlinks_followed_as_given():
    emulator = make_emulator({UPN_A: {"contacts": 250}})
    result = connect(emulator, page_size=100).fetch("contacts", None)
    assert result.complete and len(result.records) == 250 and result.deleted_ids == []
    assert len(graph_requests(emulator)) == 3
    urls = emulator.requested_urls
    assert "$skiptoken=" in urls[1] and "$skiptoken=" in urls[2] and urls[1].startswith("http://graph.test/v1.0/")
    assert list(result.cursor) == [f"{UPN_A}/contacts"] and "$deltatoken=" in result.cursor[f"{UPN_A}/contacts"]
    assert {r["_mailbox"] for r in result.records} == {UPN_A}


def test_several_mailboxes_and_subfolders_each_get_a_delta_link():
    emulator = make_emulator({UPN_A: {"contacts": 20, "Baustellen": 7}, UPN_B: {"contacts": 11}})
    sub = subfolder_ids(emulator, UPN_A)
    result = connect(emulator, mailboxes=[UPN_A, UPN_B], subfolders={UPN_A: sub}).fetch("contacts", None)
    assert len(result.records) == 38 and len({r["id"] for r in result.records}) == 38
    assert set(result.cursor) == {f"{UPN_A}/contacts", f"{UPN_A}/{sub[0]}", f"{UPN_B}/contacts"}
    assert sum(1 for r in result.records if r["_folder"] == sub[0]) == 7


def test_second_run_reads_only_changes_and_removals():
    emulator = make_emulator({UPN_A: {"contacts": 200}, UPN_B: {"contacts": 50}})
    connector = connect(emulator, mailboxes=[UPN_A, UPN_B])
    first = connector.fetch("contacts", None)
    touched = emulator.touch("t1", "contacts", 5)
    before = len(graph_requests(emulator))
    second = connector.fetch("contacts", first.cursor)
    assert not second.complete and sorted(r["id"] for r in second.records) == sorted(touched)
    assert all(r["personalNotes"].startswith("geändert") for r in second.records)
    assert len(graph_requests(emulator)) - before == 2  # one page per folder
    gone = emulator.delete("t1", "contacts", 3)
    third = connector.fetch("contacts", second.cursor)
    assert third.records == [] and sorted(third.deleted_ids) == sorted(gone)
    fourth = connector.fetch("contacts", third.cursor)
    assert fourth.records == [] and fourth.deleted_ids == []


@pytest.mark.parametrize("code", ["syncStateNotFound", "SyncStateNotFound", "resyncRequired"])
def test_expired_delta_token_triggers_a_complete_resync(code):
    emulator = make_emulator({UPN_A: {"contacts": 40}, UPN_B: {"contacts": 10}})
    connector = connect(emulator, mailboxes=[UPN_A, UPN_B])
    first = connector.fetch("contacts", None)
    gone = emulator.delete("t1", "contacts", 2)
    emulator.faults.inject("expired_cursor", 1, path=UPN_A, code=code)
    second = connector.fetch("contacts", first.cursor)
    assert second.complete and len(second.records) == 48  # the warehouse diffs out the two deletions
    assert not set(gone) & {r["id"] for r in second.records}
    assert 410 in [e[3] for e in emulator.log]
    third = connector.fetch("contacts", second.cursor)
    assert not third.complete and third.records == []


def test_all_state_expired_is_resynced_too():
    emulator = make_emulator()
    connector = connect(emulator)
    first = connector.fetch("contacts", None)
    emulator.expire_delta_tokens()
    assert connector.fetch("contacts", first.cursor).complete


def test_a_folder_dropped_from_the_options_forces_a_full_round():
    emulator = make_emulator({UPN_A: {"contacts": 5}, UPN_B: {"contacts": 6}})
    first = connect(emulator, mailboxes=[UPN_A, UPN_B]).fetch("contacts", None)
    second = connect(emulator, mailboxes=[UPN_A]).fetch("contacts", first.cursor)
    assert second.complete and len(second.records) == 5 and list(second.cursor) == [f"{UPN_A}/contacts"]


def test_a_new_mailbox_starts_with_its_full_set_as_a_delta():
    emulator = make_emulator({UPN_A: {"contacts": 5}, UPN_B: {"contacts": 6}})
    first = connect(emulator, mailboxes=[UPN_A]).fetch("contacts", None)
    second = connect(emulator, mailboxes=[UPN_A, UPN_B]).fetch("contacts", first.cursor)
    assert not second.complete and len(second.records) == 6 and len(second.cursor) == 2


def test_a_contact_edited_during_a_round_is_neither_lost_nor_duplicated():
    emulator = make_emulator({UPN_A: {"contacts": 30}})
    emulator.faults.inject("page_changes", 1)
    connector = connect(emulator, page_size=7)
    first = connector.fetch("contacts", None)
    assert len(first.records) == 30 and len({r["id"] for r in first.records}) == 30
    second = connector.fetch("contacts", first.cursor)
    assert [r["id"] for r in second.records] == [min(r["id"] for r in first.records)]


def test_unknown_mailbox_is_a_clear_error():
    emulator = make_emulator()
    with pytest.raises(SourceError) as info:
        connect(emulator, mailboxes=[UPN_A, "nobody@firma.de"]).fetch("contacts", None)
    message = str(info.value)
    assert info.value.status == 404 and "ErrorItemNotFound" in message and "nobody@firma.de" in message
    assert SECRET not in message


def test_no_mailboxes_configured_is_a_clear_error():
    with pytest.raises(SourceError, match="no mailboxes configured"):
        connect(make_emulator(), mailboxes=[]).fetch("contacts", None)


def test_client_over_a_real_http_socket():
    emulator = make_emulator({UPN_A: {"contacts": 130}, UPN_B: {"contacts": 20}})
    with emulator.serve() as server:
        connector = connect(emulator, base_url=server.base_url,
                            token_url=server.base_url + "/{tenant}/oauth2/v2.0/token", mailboxes=[UPN_A, UPN_B])
        first = connector.fetch("contacts", None)
        emulator.touch("t1", "contacts", 2)
        second = connector.fetch("contacts", first.cursor)
    assert len(first.records) == 150 and len(second.records) == 2
    assert {s for *_, s in emulator.log} == {200}
    assert first.cursor[f"{UPN_A}/contacts"].startswith(server.base_url)
