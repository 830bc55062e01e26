"""The tenants file: validation messages name file, tenant and field; secrets resolve from env."""

from __future__ import annotations

import pytest

from crm_pipelines.config.tenants import ConfigError, load_tenants, resolve_source
from crm_pipelines.settings import DEMO_TENANTS_FILE

GOOD = """
tenants:
  - id: acme
    name: ACME GmbH
    sources:
      lexware:
        base_url: https://api.lexware.io
        credentials: {api_key: ACME_LEXWARE_KEY}
        options: {page_size: 100}
"""


def write(tmp_path, text):
    path = tmp_path / "tenants.yaml"
    path.write_text(text)
    return path


def test_bundled_demo_file_is_valid():
    tenants = load_tenants(DEMO_TENANTS_FILE)
    assert tenants.ids == ["bau-mueller", "agentur-weber", "salon-schneider"]


@pytest.mark.parametrize("text, expected", [
    (GOOD.replace("name: ACME GmbH", "name: ACME GmbH\n    colour: red"), "tenant 'acme', field colour: Extra inputs"),
    (GOOD.replace("    name: ACME GmbH\n", ""), "tenant 'acme', field name: Field required"),
    (GOOD.replace("page_size: 100", "page_size: lots"), "tenant 'acme', field sources.lexware.options.page_size"),
    (GOOD.replace("page_size: 100", "page_size: 1000"), "less than or equal to 250"),
    (GOOD + GOOD.split("tenants:\n")[1], "tenant 'acme', field tenants.1.id: duplicate tenant id"),
    (GOOD.replace("lexware:", "sap:"), "unknown source(s) ['sap']"),
    (GOOD.replace("ACME_LEXWARE_KEY", "sk-live-123"), "must name an environment variable"),
    (GOOD.replace("credentials: {api_key: ACME_LEXWARE_KEY}", "credentials: {}"), "missing ['api_key']"),
])
def test_bad_files_stop_with_one_clear_message(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_tenants(path)
    assert str(path) in str(info.value) and expected in str(info.value)


def test_missing_secret_means_unconfigured_and_names_only_the_variable(tmp_path):
    tenant = load_tenants(write(tmp_path, GOOD)).get("acme")
    resolved = resolve_source(tenant, "lexware", environ={})
    assert not resolved.configured and "ACME_LEXWARE_KEY" in resolved.unconfigured_reason
    resolved = resolve_source(tenant, "lexware", environ={"ACME_LEXWARE_KEY": "s3cret"})
    assert resolved.configured and resolved.credentials == {"api_key": "s3cret"}
    assert resolved.options.page_size == 100


def test_emulated_sources_fall_back_to_demo_keys(tmp_path):
    tenant = load_tenants(write(tmp_path, GOOD.replace("https://api.lexware.io", "emulator://lexware"))).get("acme")
    resolved = resolve_source(tenant, "lexware", environ={})
    assert resolved.configured and resolved.credentials == {"api_key": "demo-lexware-acme"}
