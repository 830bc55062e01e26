"""The emulator's Exchange side: mailboxes, contact folders, change sequence and delta rounds.

Every change (create, edit, delete) gets the next number of one global sequence; a deleted
contact leaves a tombstone with its number. A delta round covers the changes after ``since``
(all live contacts when ``since`` is 0) and pages by id (keyset), so edits during a round neither
skip nor repeat anything; its deltaLink holds the sequence number the round started at. State
tokens are opaque base64 JSON; ``generation`` lets tests expire every token at once.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
import threading
import uuid

DEFAULT_FOLDER = "contacts"  # the well-known name of the default Contacts folder


def folder_id(upn: str, name: str) -> str:
    """A stable Graph-style folder id for a mailbox's folder."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(f"{upn}/{name}".encode()).digest()[:24]).decode()
    return f"AAMkAD{digest}AAEOAAA="


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def encode_token(state: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_token(token: str) -> dict | None:
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError):
        return None


class MailStore:
    """tenant -> upn -> folder id -> contacts; the default folder also answers to ``contacts``."""

    def __init__(self, mailboxes: dict[str, dict[str, dict[str, list[dict]]]]):
        self._lock = threading.RLock()
        self.seq = 0
        self.generation = 0
        self.folders: dict[str, dict[str, dict[str, dict[str, dict]]]] = {}
        self.tombstones: dict[tuple[str, str, str], dict[str, int]] = {}
        self.default: dict[tuple[str, str], str] = {}
        for tenant, boxes in mailboxes.items():
            for upn, folders in boxes.items():
                for name, contacts in folders.items():
                    fid = folder_id(upn, name)
                    if name == DEFAULT_FOLDER:
                        self.default[(tenant, upn.lower())] = fid
                    box = self.folders.setdefault(tenant, {}).setdefault(upn.lower(), {}).setdefault(fid, {})
                    for contact in contacts:
                        self.seq += 1
                        box[contact["id"]] = {**copy.deepcopy(contact), "parentFolderId": fid, "_seq": self.seq}

    def resolve(self, tenant: str, upn: str, folder: str) -> tuple[str, dict[str, dict]] | None:
        boxes = self.folders.get(tenant, {})
        box = boxes.get(upn.lower())
        if box is None:
            return None
        fid = self.default.get((tenant, upn.lower())) if folder == DEFAULT_FOLDER else folder
        return (fid, box[fid]) if fid in box else None

    def all_contacts(self, tenant: str) -> list[tuple[str, str, dict]]:
        return sorted(((upn, fid, c) for upn, box in self.folders.get(tenant, {}).items()
                       for fid, contacts in box.items() for c in contacts.values()), key=lambda t: t[2]["id"])

    # -- changes ------------------------------------------------------------------------------
    def _bump(self, contact: dict) -> None:
        self.seq += 1
        contact["_seq"] = self.seq
        contact["lastModifiedDateTime"] = now_iso()
        contact["changeKey"] = base64.b64encode(uuid.uuid4().bytes).decode()

    def touch(self, tenant: str, count: int) -> list[str]:
        with self._lock:
            changed = [c for _, _, c in self.all_contacts(tenant)[:count]]
            for contact in changed:
                self._bump(contact)
                contact["personalNotes"] = f"geändert {contact['_seq']}"
            return [c["id"] for c in changed]

    def delete(self, tenant: str, count: int) -> list[str]:
        with self._lock:
            gone = self.all_contacts(tenant)[:count]
            for upn, fid, contact in gone:
                del self.folders[tenant][upn][fid][contact["id"]]
                self.seq += 1
                self.tombstones.setdefault((tenant, upn, fid), {})[contact["id"]] = self.seq
            return [c["id"] for _, _, c in gone]

    def grow(self, tenant: str, count: int) -> list[str]:
        with self._lock:
            existing = self.all_contacts(tenant)
            added = []
            for i in range(count):
                upn, fid, original = existing[i % len(existing)]
                clone = copy.deepcopy(original)
                clone["id"] = "AAMkAG" + base64.urlsafe_b64encode(uuid.uuid4().bytes * 2).decode().rstrip("=")
                clone["createdDateTime"] = now_iso()
                self._bump(clone)
                self.folders[tenant][upn][fid][clone["id"]] = clone
                added.append(clone["id"])
            return added

    # -- delta --------------------------------------------------------------------------------
    def delta_page(self, tenant: str, upn: str, fid: str, state: dict, size: int) -> tuple[list[dict], dict | None]:
        """One page of a round; returns (items, next state or None when the round is done)."""
        with self._lock:
            since, after = state["s"], state.get("k", "")
            live = self.folders[tenant][upn.lower()][fid]
            items = [c for c in live.values() if c["_seq"] > since and c["id"] > after]
            if since:
                items += [{"@odata.type": "#microsoft.graph.contact", "id": cid, "@removed": {"reason": "deleted"},
                           "_seq": seq} for cid, seq in self.tombstones.get((tenant, upn.lower(), fid), {}).items()
                          if seq > since and cid > after and cid not in live]
            items.sort(key=lambda c: c["id"])
            page = [{k: v for k, v in copy.deepcopy(c).items() if k != "_seq"} for c in items[:size]]
            for item in page:
                if "changeKey" in item:
                    item["@odata.etag"] = f'W/"{item["changeKey"]}"'
            if len(items) > size:
                return page, {**state, "k": items[size - 1]["id"]}
            return page, None
