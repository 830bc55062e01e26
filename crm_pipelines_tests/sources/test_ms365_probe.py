"""The Microsoft 365 change probe: delta rounds per folder that only count, the deltaLinks as token."""

from __future__ import annotations

import json

from crm_pipelines_tests.sources.ms365_fixtures import UPN_A, UPN_B, connect, make_emulator, subfolder_ids


def setup():
    emulator = make_emulator({UPN_A: {"contacts": 25, "Baustellen": 4}, UPN_B: {"contacts": 6}})
    options = {"mailboxes": [UPN_A, UPN_B], "subfolders": {UPN_A: subfolder_ids(emulator, UPN_A)}}
    return emulator, (lambda: connect(emulator, page_size=10, **options))


def test_probe_counts_changes_and_removals_since_the_delta_links():
    emulator, probe = setup()
    changed, token = probe().probe_changes(None)
    links = json.loads(token)
    assert changed == 0 and len(links) == 3 and all("$deltatoken=" in link for link in links.values())
    assert ", " not in token and ": " not in token  # compact
    changed, same = probe().probe_changes(token)
    assert changed == 0 and set(json.loads(same)) == set(links)
    emulator.touch("t1", "contacts", 3)
    changed, after_touch = probe().probe_changes(same)
    assert changed == 3 and after_touch != same
    assert probe().probe_changes(after_touch)[0] == 0
    emulator.delete("t1", "contacts", 2)
    changed, after_delete = probe().probe_changes(after_touch)
    assert changed == 2 and probe().probe_changes(after_delete)[0] == 0


def test_probe_does_not_disturb_the_sync_cursor():
    emulator, probe = setup()
    cursor = probe().fetch("contacts", None).cursor
    token = probe().probe_changes(None)[1]
    emulator.touch("t1", "contacts", 2)
    assert probe().probe_changes(token)[0] == 2
    assert len(probe().fetch("contacts", cursor).records) == 2


def test_expired_delta_state_counts_as_changed_and_starts_a_fresh_baseline():
    emulator, probe = setup()
    token = probe().probe_changes(None)[1]
    emulator.faults.inject("expired_cursor", 1, path=UPN_B)
    emulator.requested_urls.clear()
    changed, fresh = probe().probe_changes(token)
    assert changed == 1 and 410 in [e[3] for e in emulator.log]
    assert [u for u in emulator.requested_urls if u.endswith("/delta")] == [  # a fresh baseline for that folder
        "http://graph.test/v1.0/users/buero%40firma.de/contactFolders/contacts/contacts/delta"]
    assert probe().probe_changes(fresh)[0] == 0
    emulator.expire_delta_tokens()
    changed, fresh = probe().probe_changes(fresh)
    assert changed == 3 and probe().probe_changes(fresh)[0] == 0


def test_unknown_folders_and_unreadable_tokens_count_as_changed():
    emulator, probe = setup()
    token = json.loads(probe().probe_changes(None)[1])
    del token[f"{UPN_B}/contacts"]  # a mailbox added to the options since the last probe
    assert probe().probe_changes(json.dumps(token))[0] == 1
    assert probe().probe_changes("not json")[0] == 3
