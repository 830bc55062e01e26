"""Slack alerts arrive once at a local webhook receiver, and once more as 'resolved'."""

from __future__ import annotations

import json
import threading
import warnings
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import pytest
import sqlalchemy as sa

from crm_pipelines.alerts.slack import Alert, SlackError, SlackWebhook, format_alert
from crm_pipelines.alerts.state import Observation, transitions
from crm_pipelines.defs.alerts import SlackResource, evaluate_alerts
from crm_pipelines_tests.defs.test_checks import _booking_defs
from crm_pipelines_tests.quality.booking_rows import booking_world, make_warehouse

SECRET_PATH = "/services/T000/B000/very-secret-token"


class Receiver:
    def __init__(self, status: int = 200) -> None:
        self.messages: list[str] = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.messages.append(json.loads(body)["text"])
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{SECRET_PATH}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_check_failure_alert_arrives_once_then_resolved(tmp_path, receiver):
    engine = make_warehouse(tmp_path)
    booking_world(engine, foreign_team=4101)
    assets, checks = _booking_defs()
    slack = SlackResource(webhook_url=receiver.url, dagster_base_url="http://dagster.local:3000")
    url = f"sqlite:///{tmp_path / 'wh.sqlite'}"
    with dg.DagsterInstance.ephemeral() as instance:
        from crm_pipelines_tests.defs.quality_defs import resources
        run = dg.materialize([*assets, *checks], partition_key="t1", instance=instance,
                             resources=resources(tmp_path, url), raise_on_error=False)
        with warnings.catch_warnings():  # current Dagster APIs only: a deprecated one warns
            warnings.simplefilter("error", DeprecationWarning)
            cursor, sent = evaluate_alerts(instance, None, slack)
        cursor, again = evaluate_alerts(instance, cursor, slack)  # next tick: nothing new
        dg.materialize([*assets, *checks], partition_key="t1", instance=instance,
                       resources=resources(tmp_path, url), raise_on_error=False)  # still failing
        cursor, still = evaluate_alerts(instance, cursor, slack)
        team = [m for m in receiver.messages if "check failed" in m and "team_id_invariant" in m]
        assert len(team) == 1 and again == [] and still == []
        text = team[0]
        assert "ERROR" in text and "tenant *t1*" in text and "raw/booking_db/mappings" in text
        assert "mapping(s) 1002" in text and f"http://dagster.local:3000/runs/{run.run_id}" in text
        assert all(SECRET_PATH not in m for m in receiver.messages)
        assert sum("run failed" in m for m in receiver.messages) == 1  # the blocked run, once
        with engine.begin() as conn:  # the fix: the mapping gets the company's team
            conn.execute(sa.text("update raw_booking_db_mappings set calcom_team_id = 41 where tenant_id = 't1'"))
        dg.materialize([*assets, *checks], partition_key="t1", instance=instance,
                       resources=resources(tmp_path, url), raise_on_error=False)
        cursor, resolved = evaluate_alerts(instance, cursor, slack)
    assert any("resolved for tenant *t1*" in m and "team_id_invariant" in m for m in resolved)
    assert sum("team_id_invariant on" in m for m in receiver.messages) == 2
    assert any(m.startswith(":large_green_circle: resolved for tenant *t1*: `job __ephemeral_asset_job__`") for m in resolved)


def test_slack_outage_keeps_the_message_for_the_next_tick(tmp_path):
    down = Receiver(status=500)
    try:
        with pytest.raises(SlackError) as info:
            SlackWebhook(down.url).post("x")
        assert SECRET_PATH not in str(info.value) and "500" in str(info.value)
    finally:
        down.close()


def test_transitions_and_text():
    open_failures: dict[str, str] = {}
    new, resolved = transitions(open_failures, [Observation("a", True), Observation("a", True),
                                                Observation("b", False)])
    assert new == ["a"] and resolved == []
    new, resolved = transitions(open_failures, [Observation("a", False)])
    assert new == [] and resolved == ["a"] and open_failures == {}
    text = format_alert(Alert("check_failed", "t1", "team_id_invariant on raw/booking_db/mappings", "ERROR",
                              "1 mapping(s) route to another team", "mapping(s) 2006", "abcdef123456"))
    assert text.splitlines()[0].startswith(":red_circle: *ERROR* check failed for tenant *t1*")
    assert "Run id: abcdef123456" in text
