"""The command line as a user meets it: help for every subcommand, and `run` through Dagster."""

from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg
import pytest
import sqlalchemy as sa

from crm_pipelines.cli import build_parser


def cli(*args, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "crm_pipelines", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def test_help_documents_every_subcommand():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"run", "emulate", "dev"} <= set(sub.choices)
    for name, subparser in sub.choices.items():
        assert subparser.format_help().strip(), name
        assert sub.choices[name].description, f"{name} has no description"
    result = cli("--help")
    assert result.returncode == 0 and "run" in result.stdout and "emulate" in result.stdout


@pytest.mark.slow
def test_run_one_tenant_lands_in_the_instance_the_ui_uses(tmp_path):
    data = tmp_path / "data"
    result = cli("run", "--tenant", "salon-schneider", env={"CRM_DATA_DIR": str(data),
                                                             "DAGSTER_HOME": str(tmp_path / "home")})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Rows per table per tenant" in result.stdout and "raw_lexware_contacts" in result.stdout
    engine = sa.create_engine(f"sqlite:///{data / 'warehouse.sqlite'}")
    with engine.connect() as conn:
        tenants = conn.execute(sa.text("select distinct tenant_id from raw_lexware_contacts")).scalars().all()
    assert tenants == ["salon-schneider"]
    os.environ["DAGSTER_HOME"] = str(tmp_path / "home")
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs()
        assert len(runs) == 1 and runs[0].is_success
        assert runs[0].tags.get("dagster/partition") == "salon-schneider"


def test_unknown_tenant_is_refused(tmp_path):
    result = cli("run", "--tenant", "nobody", env={"CRM_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2 and "unknown tenant" in result.stderr


@pytest.mark.slow
def test_emulate_serves_over_http(tmp_path):
    import httpx

    proc = subprocess.Popen([sys.executable, "-m", "crm_pipelines", "emulate", "--port", "0", "--seconds", "60"],
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "CRM_DATA_DIR": str(tmp_path)})
    try:
        urls = {}
        for line in proc.stdout:
            parts = line.split()
            if len(parts) == 2 and parts[1].startswith("http://127.0.0.1:"):
                urls[parts[0]] = parts[1]
            if line.startswith("Ctrl-C"):
                break
        assert "lexware" in urls
        response = httpx.get(f"{urls['lexware']}/v1/contacts", params={"size": 5},
                             headers={"Authorization": "Bearer demo-lexware-bau-mueller"})
        assert response.status_code == 200 and len(response.json()["content"]) == 5
    finally:
        proc.kill()
        proc.wait()


def test_purge_runs_deletes_only_old_finished_runs(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    home.mkdir(exist_ok=True)
    from crm_pipelines.defs.build import build_definitions

    with dg.DagsterInstance.get() as instance:
        job = build_definitions().resolve_job_def("full_pipeline")
        run = job.execute_in_process(partition_key="salon-schneider", instance=instance, raise_on_error=False,
                                     asset_selection=[dg.AssetKey(["raw", "calcom", "event_types"])])
    assert cli("purge-runs", "--older-than-days", "1", env={"DAGSTER_HOME": str(home)}).stdout.startswith(
        "deleted 0 ")  # the run is younger than a day
    dry = cli("purge-runs", "--older-than-days", "-1", "--dry-run", env={"DAGSTER_HOME": str(home)})
    assert "would delete 1 " in dry.stdout
    result = cli("purge-runs", "--older-than-days", "-1", env={"DAGSTER_HOME": str(home)})
    assert result.returncode == 0 and "deleted 1 " in result.stdout
    with dg.DagsterInstance.get() as instance:
        assert instance.get_run_by_id(run.run_id) is None
