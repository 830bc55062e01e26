"""How the monday.com client reads errors: both complexity-error shapes, wait hints, expired cursors.

monday sends GraphQL ``errors`` (each with ``extensions.code``), often with HTTP 200 and sometimes
with 429, and older API versions a flat body (``error_code``, ``status_code``, ``error_message``).
Limit errors are waited out: ``extensions.retry_in_seconds``, else ``Retry-After``, else the
"reset in N seconds" of the message. An expired cursor is its own error, so the board scan can
restart; everything else that is not a limit or a server error fails at once.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from crm_pipelines.sources._http import HttpClient, SourceError, retry_after_header

RETRYABLE_CODES = frozenset({"COMPLEXITY_BUDGET_EXHAUSTED", "ComplexityException", "RATE_LIMIT_EXCEEDED",
                             "RateLimitExceeded", "maxConcurrencyExceeded", "IP_RATE_LIMIT_EXCEEDED",
                             "INTERNAL_SERVER_ERROR", "InternalServerError", "API_TEMPORARILY_BLOCKED"})
CURSOR_CODES = frozenset({"CursorExpiredError", "CURSOR_EXPIRED"})
_RESET = re.compile(r"reset in (\d+(?:\.\d+)?) seconds?", re.I)
_EXPIRED = re.compile(r"CursorExpiredError|cursor (?:provided )?(?:for pagination )?has expired", re.I)


class CursorExpired(SourceError):
    """The items_page cursor expired (60 min TTL): restart the board's scan."""


def _errors(body: Any) -> list[dict]:
    if not isinstance(body, dict):
        return []
    errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    if body.get("error_code") or body.get("error_message"):  # the legacy flat shape
        errors.append({"message": body.get("error_message") or "", "extensions": {
            "code": body.get("error_code"), "status_code": body.get("status_code")}})
    return errors


def _code(error: dict) -> str:
    return str((error.get("extensions") or {}).get("code") or "")


def monday_error_detail(body: Any, response: Any) -> str:
    details = [f"{_code(e) or 'error'}: {e.get('message', '')}".strip() for e in _errors(body)]
    if details:
        return "; ".join(details)
    return (getattr(response, "text", "") or "")[:200].replace("\n", " ") or "empty body"


def wait_hint(response: httpx.Response, body: Any) -> float | None:
    for error in _errors(body):
        seconds = (error.get("extensions") or {}).get("retry_in_seconds")
        if isinstance(seconds, (int, float)):
            return float(seconds)
    header = retry_after_header(response)
    if header is not None:
        return header
    for error in _errors(body):
        match = _RESET.search(str(error.get("message") or ""))
        if match:
            return float(match.group(1))
    return None


def make_inspect(http: HttpClient, endpoint_of: Any, max_wait: float) -> Any:
    """The ``inspect`` hook: raise for an error hidden in an HTTP 200 body."""

    def inspect(response: httpx.Response, body: Any) -> None:
        endpoint = endpoint_of()
        if not isinstance(body, dict):
            raise http.error(endpoint, response.status_code, "response body is not a JSON object", retryable=True)
        errors = _errors(body)
        if not errors:
            if not isinstance(body.get("data"), dict):
                raise http.error(endpoint, response.status_code, "malformed response: no 'data' object")
            return
        detail = monday_error_detail(body, response)
        codes = {_code(e) for e in errors}
        if codes & CURSOR_CODES or any(_EXPIRED.search(str(e.get("message"))) for e in errors):
            raise CursorExpired("monday", http.tenant_id, endpoint, response.status_code, detail)
        limited = bool(codes & RETRYABLE_CODES) or any(
            (e.get("extensions") or {}).get("status_code") == 429 for e in errors)
        hint = wait_hint(response, body) if limited else None
        raise http.error(endpoint, response.status_code, detail, retryable=limited,
                         retry_after=None if hint is None else min(hint, max_wait))

    return inspect
