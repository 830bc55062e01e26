"""Microsoft identity platform, app-only: client-credentials token, cached until shortly before expiry.

``POST {token_url}`` (default ``https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token``,
``{tenant}`` = the Azure AD tenant) with a form body; the secret travels only in that body.
Errors are the AAD shape ``{"error": "invalid_client", "error_description": "AADSTS7000215: ..."}``;
Graph errors are ``{"error": {"code", "message", "innerError"}}``. ``graph_error_detail`` reads both.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from crm_pipelines.sources._http import HttpClient

DEFAULT_TOKEN_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def graph_error_detail(body: Any, response: Any) -> str:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return f"{error.get('code', '?')}: {error.get('message', '')}".strip()
        if isinstance(error, str):  # AAD token endpoint
            description = str(body.get("error_description") or "").splitlines()
            return f"{error}: {description[0] if description else ''}".strip(": ")
    return (getattr(response, "text", "") or "")[:200].replace("\n", " ")


class TokenProvider:
    """Fetches and caches one app-only access token; thread-safe."""

    def __init__(self, http: HttpClient, token_url: str, credentials: dict[str, str], *,
                 scope: str = GRAPH_SCOPE, margin_seconds: float = 60.0,
                 clock: Callable[[], float] = time.monotonic):
        self.http, self.scope, self.margin, self._clock = http, scope, margin_seconds, clock
        self.token_url = token_url.replace("{tenant}", credentials["tenant_id"])
        self._form = {"client_id": credentials["client_id"], "client_secret": credentials["client_secret"],
                      "scope": scope, "grant_type": "client_credentials"}
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        self.fetched = 0  # how many tokens were requested (for tests and metrics)

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                self._token, self._expires_at = self._request()
            return self._token

    def invalidate(self, token: str) -> None:
        """Graph rejected ``token``: drop it, unless another thread already replaced it."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _request(self) -> tuple[str, float]:
        endpoint = "POST /oauth2/v2.0/token"
        started = self._clock()
        body = self.http.request_json("POST", self.token_url, endpoint=endpoint, data=self._form,
                                      ok_statuses=(200,))
        self.fetched += 1
        if not isinstance(body, dict) or not body.get("access_token"):
            raise self.http.error(endpoint, 200, "token response without access_token")
        try:
            lifetime = float(body.get("expires_in", 0))
        except (TypeError, ValueError):
            lifetime = 0.0
        return str(body["access_token"]), started + max(0.0, lifetime - self.margin)
