"""The change probe of the Microsoft 365 connector: a delta round per folder, counting only.

The token is compact JSON ``{"<upn>/<folder>": deltaLink}``, kept apart from the sync's cursor (the
probe consumes its own delta state). ``since=None``: one delta round per folder, only for its
deltaLink. Otherwise each stored deltaLink is followed to the end of its round; changed contacts
plus ``@removed`` tombstones are counted and the new deltaLinks become the next token. A folder
whose state is gone (410 ``syncStateNotFound``) or that the token does not know (a folder added to
the options, an unreadable token) counts as changed, since the sync will read it in full anyway,
and gets a fresh baseline.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crm_pipelines.sources.ms365.client import Ms365Connector


def _links(since: str) -> dict[str, str]:
    try:
        links = json.loads(since)
    except ValueError:
        return {}
    return {k: v for k, v in links.items() if isinstance(v, str)} if isinstance(links, dict) else {}


def probe_changes(connector: Ms365Connector, since: str | None) -> tuple[int, str]:
    from crm_pipelines.sources.ms365.client import _Resync

    baseline = since is None
    links = {} if baseline else _links(since)

    def one(upn: str, folder: str, link: str | None) -> tuple[int, str]:
        if link is not None:
            try:
                records, removed, new_link = connector.delta_round(upn, folder, link)
                return len(records) + len(removed), new_link
            except _Resync:
                pass  # the delta state expired: changed, and a fresh baseline below
        return (0 if baseline else 1), connector.delta_round(upn, folder, None)[2]

    rounds = connector._rounds(links, one)
    token = json.dumps({key: link for key, (_, link) in rounds.items()}, separators=(",", ":"), sort_keys=True)
    return sum(changed for changed, _ in rounds.values()), token
