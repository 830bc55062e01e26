"""``crm-pipelines emulate``: serve every emulated API over real HTTP on localhost ports.

Prints each base URL and a tenants-file snippet pointing at them, so any client (this project's
connectors, curl, another tool) can be pointed at the emulators. Stops on Ctrl-C or after --seconds.
"""

from __future__ import annotations

import argparse
import time


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("emulate", help="serve every emulated API over HTTP and print the base URLs",
                            description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700,
                        help="first port; sources get consecutive ports (0 = any free port)")
    parser.add_argument("--seconds", type=float, default=None, help="stop after this many seconds")
    parser.add_argument("--no-rate-limits", action="store_true", help="switch the emulated API limits off")
    parser.set_defaults(func=main)


def start_servers(host: str = "127.0.0.1", port: int = 0, rate_limits: bool = True) -> dict:
    """Start an HTTP server per source emulator; returns source -> server (``.base_url``, ``.close()``)."""
    from crm_pipelines.sources.registry import SOURCES

    servers = {}
    for offset, (name, source) in enumerate(SOURCES.items()):
        emulator = source.emulator()
        if not hasattr(emulator, "serve"):
            continue  # not an HTTP API (the booking database)
        emulator.rate_limits_enabled = rate_limits
        servers[name] = emulator.serve(host, port + offset if port else 0)
    return servers


def main(args: argparse.Namespace) -> int:
    from crm_pipelines.sources.registry import SOURCES

    servers = start_servers(args.host, args.port, not args.no_rate_limits)
    print("Emulated APIs (demo keys: demo-<source>-<tenant>):")
    for name, server in servers.items():
        print(f"  {name:<10} {server.base_url}")
    print("\nTenants-file snippet (CRM_TENANTS_FILE) for tenant bau-mueller:")
    for name, server in servers.items():
        fields = ", ".join(f"{f}: {name.upper()}_{f.upper()}" for f in SOURCES[name].credential_fields)
        print(f"      {name}:\n        base_url: {server.base_url}\n        credentials: {{{fields}}}")
    print("\nCtrl-C stops.", flush=True)
    try:
        deadline = None if args.seconds is None else time.monotonic() + args.seconds
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers.values():
            server.close()
    return 0
