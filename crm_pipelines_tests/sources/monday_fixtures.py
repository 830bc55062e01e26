"""Small hand-made monday.com accounts for client tests (independent of the demo world)."""

from __future__ import annotations

from crm_pipelines.sources.base import ConnectContext
from crm_pipelines.sources.monday.client import MondayConnector
from crm_pipelines.sources.monday.demo import BOARD_COLUMNS
from crm_pipelines.sources.monday.emulator import MondayEmulator
from crm_pipelines.sources.monday.options import MondayOptions

TOKEN = "monday-test-token-0001"
BOARDS = {"111": "customer", "222": "supplier"}


class FakeClock:
    """Shared by the emulator (budget windows, cursor age) and the client's sleep."""

    def __init__(self) -> None:
        self.now, self.sleeps = 1000.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_board(board_id: str, role: str, n: int, first_id: int) -> dict:
    items = []
    for i in range(n):
        values = {"email": f"kunde{i}@example.de", "email_1": f"info@lieferant{i}.de", "phone": f"+49 761 {1000 + i}",
                  "phone_2": f"0761 {2000 + i}", "text_strasse": f"Hauptstraße {i}", "text_7": f"Industriestr. {i}",
                  "text_plz": "79098", "text_8": "79098", "text_ort": "Freiburg", "text_9": "Freiburg"}
        items.append({"id": str(first_id + i), "name": f"Kundin {i}" if role == "customer" else f"Lieferant {i} GmbH",
                      "created_at": "2025-01-01T08:00:00Z", "updated_at": f"2025-02-{1 + i // 24:02d}T{i % 24:02d}:00:00Z",
                      "state": "active", "group": {"id": "topics", "title": "Aktuell"}, "position": float(i),
                      "values": {c[0]: values.get(c[0]) for c in BOARD_COLUMNS[role]}})
    return {"id": board_id, "name": role, "columns": [{"id": c[0], "type": c[1], "title": c[2]} for c in BOARD_COLUMNS[role]],
            "items": items}


def make_emulator(customers: int = 30, suppliers: int = 10, tenant: str = "t1", **kwargs) -> MondayEmulator:
    boards = {"111": make_board("111", "customer", customers, 1_900_000_000),
              "222": make_board("222", "supplier", suppliers, 1_950_000_000)}
    return MondayEmulator({tenant: boards}, {TOKEN: tenant}, **kwargs)


def board_options(*ids: str) -> list[dict]:
    return [{"board_id": b, "role": BOARDS[b], "item_name": "full_name" if BOARDS[b] == "customer" else "company",
             "columns": {c[0]: c[3] for c in BOARD_COLUMNS[BOARDS[b]] if c[3]}} for b in ids or BOARDS]


def connect(emulator, base_url="http://monday.test", token=TOKEN, sleep=None, **options) -> MondayConnector:
    defaults = {"requests_per_second": 1000.0, "pace_after_page": False, "boards": board_options()}
    return MondayConnector(ConnectContext(
        tenant_id="t1", base_url=base_url, credentials={"api_token": token},
        options=MondayOptions(**{**defaults, **options}),
        transport=None if base_url.startswith("http://127.") else emulator.transport(),
        sleep=sleep or (lambda s: None)))
