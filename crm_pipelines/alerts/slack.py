"""A Slack incoming-webhook client (httpx) and the alert texts.

The webhook URL is a secret: it is never logged, never put into a message or an error text (errors
name only the HTTP status). Messages name the tenant, the check or run, what to look at and, when a
Dagster base URL is configured, a link to the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx


class SlackError(RuntimeError):
    pass


@dataclass(frozen=True)
class Alert:
    kind: str  # check_failed | check_resolved | run_failed | run_resolved
    tenant: str
    subject: str  # "team_id_invariant on raw/booking_db/mappings" or "job sync_booking"
    severity: str = ""
    summary: str = ""
    what_to_look_at: str = ""
    run_id: str = ""


def run_url(base_url: str | None, run_id: str) -> str | None:
    return f"{base_url.rstrip('/')}/runs/{run_id}" if base_url and run_id else None


def format_alert(alert: Alert, base_url: str | None = None) -> str:
    """The message text (Slack mrkdwn)."""
    link = run_url(base_url, alert.run_id)
    if alert.kind == "check_failed":
        lines = [f":red_circle: *{alert.severity or 'ERROR'}* check failed for tenant *{alert.tenant}*: "
                 f"`{alert.subject}`"]
    elif alert.kind == "run_failed":
        lines = [f":red_circle: run failed for tenant *{alert.tenant}*: {alert.subject}"]
    else:
        lines = [f":large_green_circle: resolved for tenant *{alert.tenant}*: `{alert.subject}` passes again"]
    if alert.summary:
        lines.append(alert.summary)
    if alert.what_to_look_at:
        lines.append(f"What to look at: {alert.what_to_look_at}")
    if link:
        lines.append(f"Run: <{link}|{alert.run_id[:8]}>")
    elif alert.run_id:
        lines.append(f"Run id: {alert.run_id}")
    return "\n".join(lines)


class SlackWebhook:
    """POST ``{"text": ...}`` to an incoming webhook; raises ``SlackError`` on a non-2xx answer."""

    def __init__(self, url: str, timeout: float = 10.0, transport: httpx.BaseTransport | None = None) -> None:
        if not url:
            raise ValueError("no Slack webhook URL configured")
        self._url = url
        self._client = httpx.Client(timeout=timeout, transport=transport)

    def post(self, text: str) -> None:
        try:
            response = self._client.post(self._url, json={"text": text})
        except httpx.HTTPError as exc:
            raise SlackError(f"Slack webhook unreachable: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise SlackError(f"Slack webhook answered HTTP {response.status_code}")

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:  # never show the URL
        return "SlackWebhook(url=***)"
