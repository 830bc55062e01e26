"""`crm-pipelines checks`: latest evaluation per check and tenant from the instance; non-zero exit on a
failed blocking check."""

from __future__ import annotations

import argparse
import json

import dagster as dg

from crm_pipelines.commands import checks as checks_cmd
from crm_pipelines.commands._env import prepare_environment
from crm_pipelines_tests.defs.quality_defs import resources, tenants_file
from crm_pipelines_tests.defs.test_checks import _booking_defs
from crm_pipelines_tests.quality.booking_rows import booking_world, make_warehouse


def _setup(tmp_path, monkeypatch, contaminated: bool):
    url = f"sqlite:///{tmp_path / 'wh.sqlite'}"
    monkeypatch.setenv("CRM_WAREHOUSE_URL", url)
    monkeypatch.setenv("CRM_TENANTS_FILE", str(tenants_file(tmp_path / "tenants.yaml")))
    engine = make_warehouse(tmp_path)
    booking_world(engine, "t1")
    booking_world(engine, "t2", foreign_team=4101 if contaminated else None)
    prepare_environment()
    assets, checks = _booking_defs()
    with dg.DagsterInstance.get() as instance:
        for tenant in ("t1", "t2"):
            dg.materialize([*assets, *checks], partition_key=tenant, instance=instance,
                           resources=resources(tmp_path, url), raise_on_error=False)


def _main(**kwargs) -> int:
    return checks_cmd.main(argparse.Namespace(**{"tenant": None, "json": False, **kwargs}))


def test_json_lists_every_check_per_tenant_and_exits_1_on_blocking_failure(tmp_path, monkeypatch, capsys):
    _setup(tmp_path, monkeypatch, contaminated=True)
    assert _main(json=True) == 1
    results = json.loads(capsys.readouterr().out)
    by = {(r["tenant"], r["check"]): r for r in results}
    assert by[("t1", "team_id_invariant")]["passed"] is True
    failed = by[("t2", "team_id_invariant")]
    assert failed["passed"] is False and failed["severity"] == "ERROR" and failed["blocking"] is True
    assert failed["asset"] == "raw/booking_db/mappings" and failed["metadata"]["contaminated_mappings"] == 1
    assert {"check", "asset", "tenant", "passed", "severity", "metadata"} <= set(failed)
    assert _main(tenant=["t1"]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "t2" not in out


def test_all_passing_exits_0(tmp_path, monkeypatch, capsys):
    _setup(tmp_path, monkeypatch, contaminated=False)
    assert _main() == 0
    assert "FAIL" not in capsys.readouterr().out
