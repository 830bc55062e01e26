"""Slack alerts: a resource holding the webhook URL (from ``CRM_SLACK_WEBHOOK_URL``) and a sensor that
notices failed asset checks and failed runs and posts one message per new failure, and one
"resolved" when the same check (or job, for the same tenant) passes again.

The sensor walks the runs that finished (failed, succeeded or were canceled) with a storage-id cursor,
and reads the asset-check evaluations of each such run (``fetch_run_status_changes`` and
``get_records_for_run``: no deprecated event-log query), so every tick reads only what happened
since the previous one, and a check's result is reported once its run is over. Open failures and
unsent messages live in the cursor; a Slack outage delays messages, it does not lose them.
"""

import json
import time

import dagster as dg

from crm_pipelines.alerts.slack import Alert, SlackError, SlackWebhook, format_alert
from crm_pipelines.alerts.state import Observation, transitions
from crm_pipelines.defs.constants import ALERT_SENSOR, TAG_TENANT

PAGE = 200
TICK_BUDGET_SECONDS = 30.0
MAX_PENDING = 50


class SlackResource(dg.ConfigurableResource):
    """Slack incoming webhook. ``webhook_url`` comes from ``dg.EnvVar("CRM_SLACK_WEBHOOK_URL")``; empty
    means alerts are only logged. ``dagster_base_url`` (e.g. http://localhost:3000) adds run links."""

    webhook_url: str = ""
    dagster_base_url: str = ""

    def send(self, text: str) -> None:
        client = SlackWebhook(self.webhook_url)
        try:
            client.post(text)
        finally:
            client.close()

    @property
    def configured(self) -> bool:
        return bool(self.webhook_url)


def _value(metadata: dict, name: str) -> str:
    value = metadata.get(name)
    return "" if value is None else str(getattr(value, "value", value))


Item = tuple[int, str, Alert, bool]  # storage id, failure key, alert, failed


def _check_alerts(instance: dg.DagsterInstance, run_id: str) -> list[Item]:
    """The asset-check evaluations of one finished run: (storage id, key, alert, failed) each."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    out = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        tenant = evaluation.partition or _value(evaluation.metadata, "tenant") or "-"
        key = f"check|{evaluation.asset_key.to_user_string()}|{evaluation.check_name}|{tenant}"
        out.append((record.storage_id, key, Alert(
            kind="check_failed" if not evaluation.passed else "check_resolved", tenant=tenant,
            subject=f"{evaluation.check_name} on {evaluation.asset_key.to_user_string()}",
            severity=evaluation.severity.value, summary=evaluation.description or "",
            what_to_look_at=_value(evaluation.metadata, "what_to_look_at"), run_id=run_id), not evaluation.passed))
    return out


def _finished_runs(instance: dg.DagsterInstance, after: int | None) -> tuple[list[Item], int | None, bool]:
    """Runs that finished after storage id ``after`` (a page of them, oldest first): the check
    evaluations of each, then the run itself (a canceled run only reports its checks). Returns
    (items, storage id of the last run read, whether more runs follow)."""
    records = []
    finished = (dg.DagsterEventType.RUN_FAILURE, dg.DagsterEventType.RUN_SUCCESS, dg.DagsterEventType.RUN_CANCELED)
    for event_type in finished:
        records += instance.fetch_run_status_changes(
            dg.RunStatusChangeRecordsFilter(event_type=event_type, after_storage_id=after),
            limit=PAGE, ascending=True).records
    records.sort(key=lambda r: r.storage_id)
    records = records[:PAGE]
    items = []
    for record in records:
        run = instance.get_run_by_id(record.run_id)
        if run is None:  # deleted since
            continue
        items += _check_alerts(instance, record.run_id)
        event_type = record.event_log_entry.dagster_event.event_type
        if event_type == dg.DagsterEventType.RUN_CANCELED:
            continue
        tenant = run.tags.get(TAG_TENANT) or run.tags.get("dagster/partition") or "-"
        failed = event_type == dg.DagsterEventType.RUN_FAILURE
        message = (record.event_log_entry.dagster_event.message or "") if failed else ""
        items.append((record.storage_id, f"run|{run.job_name}|{tenant}", Alert(
            kind="run_failed" if failed else "run_resolved", tenant=tenant, subject=f"job {run.job_name}",
            summary=message[:300], run_id=record.run_id,
            what_to_look_at="the failed step's error in the run's logs" if failed else ""), failed))
    last = records[-1].storage_id if records else after
    return items, last, len(records) == PAGE


def evaluate_alerts(instance: dg.DagsterInstance, cursor: str | None, slack: SlackResource,
                    log=None) -> tuple[str, list[str]]:
    """One tick: returns (new cursor, texts posted or logged). Pure enough to unit-test with an instance."""
    state = json.loads(cursor) if cursor else {"runs": None, "open": {}, "pending": []}
    state.pop("checks", None)  # a cursor of the version that read check evaluations apart from their runs
    first = cursor is None
    open_failures: dict[str, str] = state["open"]
    alerts: list[tuple[int, str, Alert]] = []
    started = time.monotonic()
    more = True
    while more and time.monotonic() - started < TICK_BUDGET_SECONDS:
        items, state["runs"], more = _finished_runs(instance, state["runs"])
        for sid, key, alert, failed in items:  # each transition with the evaluation that made it
            new, resolved = transitions(open_failures, [Observation(key, failed)])
            if new or resolved:
                alerts.append((sid, key, alert))
    alerts.sort(key=lambda item: item[0])
    if first:  # history: only what is still failing now, once each
        latest = {key: (sid, key, alert) for sid, key, alert in alerts}
        alerts = sorted(item for item in latest.values() if item[1] in open_failures and item[2].kind.endswith("failed"))
    selected = [alert for _, _, alert in alerts]
    texts = state["pending"] + [format_alert(a, slack.dagster_base_url or None) for a in selected]
    sent, pending = [], []
    for text in texts:
        if not slack.configured:
            if log:
                log.info(f"Slack webhook not configured; alert: {text}")
            sent.append(text)
            continue
        try:
            slack.send(text)
            sent.append(text)
        except SlackError as exc:
            if log:
                log.warning(f"Slack alert not delivered, retried next tick: {exc}")
            pending.append(text)
    state["pending"] = pending[-MAX_PENDING:]
    return json.dumps(state, sort_keys=True), sent


@dg.sensor(name=ALERT_SENSOR, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Posts to Slack (CRM_SLACK_WEBHOOK_URL) once per new failed asset check or failed run, "
                       "per tenant, and once when it is resolved. Messages name tenant, check and what to look at.")
def slack_alert_sensor(context: dg.SensorEvaluationContext, slack: SlackResource):
    """Slack alerts for failed checks and runs (deduplicated through the cursor)."""
    cursor, sent = evaluate_alerts(context.instance, context.cursor, slack, context.log)
    context.update_cursor(cursor)
    return dg.SkipReason(f"{len(sent)} alert(s) sent" if sent else "no new failures or resolutions")
