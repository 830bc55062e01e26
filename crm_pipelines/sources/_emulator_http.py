"""Serve an emulator over real HTTP on a localhost port (``crm-pipelines emulate``, socket tests)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crm_pipelines.sources._emulator import Emulator, EmuRequest, _json_headers


class EmulatorServer:
    """A ThreadingHTTPServer around one emulator. Use as a context manager or call ``close()``."""

    def __init__(self, emulator: Emulator, host: str, port: int):
        self.emulator = emulator
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = EmuRequest(self.command, parts.path, parse_qs(parts.query),
                                 {k.lower(): v for k, v in self.headers.items()}, body,
                                 f"{outer.base_url}{self.path}")
                resp = outer.emulator.handle(req)
                if resp.delay:
                    time.sleep(resp.delay)
                payload = resp.encode()
                self.send_response(resp.status)
                for key, value in _json_headers(resp).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args: Any) -> None:  # keep the console quiet
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.host, self.port = self._server.server_address[:2]
        self.base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name=f"emulator-{emulator.name}")
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
