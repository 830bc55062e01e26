"""Write small tenants files for Dagster-level tests."""

from __future__ import annotations

from pathlib import Path


def lexware_tenants(path: Path, base_urls: dict[str, str], env: dict[str, str] | None = None) -> Path:
    """One tenant per entry of ``base_urls`` (tenant -> Lexware base URL), keys in env vars."""
    lines = ["tenants:"]
    for tenant, url in base_urls.items():
        var = (env or {}).get(tenant, f"LEXWARE_KEY_{tenant.upper().replace('-', '_')}")
        lines += [f"  - id: {tenant}", f"    name: {tenant}", "    sources:", "      lexware:",
                  f"        base_url: {url}", f"        credentials: {{api_key: {var}}}",
                  "        options: {max_attempts: 2}"]
    path.write_text("\n".join(lines) + "\n")
    return path
