"""The dedupe and benchmark commands, driven through argparse like the CLI does."""

import argparse

import pandas as pd
import pytest

from crm_pipelines.commands import benchmark, dedupe


def _parser(module):
    parser = argparse.ArgumentParser()
    module.register(parser.add_subparsers(dest="command"))
    return parser


def test_dedupe_csv(tmp_path, capsys):
    rows = [("1", "Hans", "Müller", "hans@mueller.de", "0171 1234567", "19800517"),
            ("2", "Hans", "Mueller", "HANS@MUELLER.DE", "+49 171 1234567", "17.05.1980"),
            ("3", "Anna", "Schmidt", "anna@schmidt.de", "", ""),
            ("4", "", "", "", "", "")]
    rows += [(str(10 + k), f"Vorname{k}", f"Nachname{k}", f"v{k}@n{k}.de", f"030 {100000 + k}", "") for k in range(30)]
    src = tmp_path / "in.csv"
    pd.DataFrame(rows, columns=["id", "vn", "nn", "mail", "tel", "geb"]).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    args = _parser(dedupe).parse_args(["dedupe", str(src), "--id-column", "id", "--map", "vn=first_name", "--map", "nn=last_name",
                                       "--map", "mail=email", "--map", "tel=phone", "--map", "geb=birth_date", "--out", str(out)])
    assert args.func(args) == 0
    result = pd.read_csv(out, dtype=str).set_index("id")
    assert len(result) == len(rows)
    assert result.loc["1", "cluster_id"] == result.loc["2", "cluster_id"] != result.loc["3", "cluster_id"]
    assert pd.isna(result.loc["4", "cluster_id"])
    assert (tmp_path / "out.rejects.csv").exists()
    assert "1 rejected" in capsys.readouterr().err


def test_benchmark_small_n_returns_sane_metrics():
    result = benchmark.run(400, seed=3)
    assert result["rows"] > 400
    assert 0.9 <= result["precision"] <= 1.0 and 0.8 <= result["recall"] <= 1.0
    assert result["golden_id_stability"] == 1.0
    assert result["pairs_per_record"] < 20
    assert {"normalize", "block", "score", "cluster", "survive", "publish"} <= set(result["stages"])
    # the 1%-changed run: the median of three, then its delta published over the full publish
    assert len(result["incremental_seconds_runs"]) == 3
    assert result["incremental_seconds"] == sorted(result["incremental_seconds_runs"])[1]
    assert result["incremental_published_rows"]["xref"] == result["rows"]
    assert result["incremental_published_rows"]["golden_contacts"] == result["incremental_golden_contacts"] > 0
    assert result["incremental_to_publish_seconds"] >= result["incremental_seconds"]
    # the delta it published: no more xref rows than the records it re-resolved
    delta = result["incremental_delta_rows"]
    assert set(delta) == {"golden_rows", "xref_rows", "pairs", "pairs_removed"}
    assert 0 < delta["xref_rows"] <= result["incremental_affected_records"]


@pytest.mark.postgres
def test_benchmark_publishes_into_a_fresh_postgres_database_and_drops_it(pg_server):
    import sqlalchemy as sa

    def bench_databases() -> set[str]:
        engine = sa.create_engine(pg_server)
        with engine.connect() as conn:
            names = set(conn.execute(sa.text("select datname from pg_database where datname like 'crm_bench_%'")).scalars())
        engine.dispose()
        return names

    before = bench_databases()
    result = benchmark.run(150, seed=5, incremental=False, rerun=False, publish_url=pg_server)
    assert result["publish_backend"] == "postgresql"
    assert set(result["publish_steps_seconds"]) == {"stage", "swap", "clear"}
    assert result["published_rows"]["golden_contacts"] == result["golden_contacts"] > 0
    assert result["published_rows"]["xref"] == result["rows"]
    assert bench_databases() == before  # its database is gone again


def test_a_repeated_benchmark_reports_its_median_run_and_every_run(monkeypatch):
    figures = iter([{"match_to_publish_seconds": s, "match_to_publish_peak_rss_mb": m, "resolve_seconds": s / 2,
                     "stages": {"block": {"seconds": s}}, "precision": 1.0} for s, m in ((3.0, 10.0), (1.0, 30.0), (2.0, 20.0))])

    class Pool:  # each run in a process of its own: here, one figure set per submitted run
        submitted = 0

        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def submit(self, *args):
            Pool.submitted += 1
            result = next(figures)
            return type("Done", (), {"result": lambda self: result})()

    monkeypatch.setattr(benchmark, "ProcessPoolExecutor", Pool)
    result = benchmark.run(40, seed=3, repeat=3)
    assert Pool.submitted == 3
    assert result["match_to_publish_seconds"] == 2.0 and result["resolve_seconds"] == 1.0  # the median run's
    assert result["stages"]["block"]["seconds"] == 2.0
    assert [r["match_to_publish_seconds"] for r in result["runs"]] == [3.0, 1.0, 2.0]
    assert result["peak_rss_mb"] == 30.0  # the highest of all runs
    assert benchmark.median_run([{"match_to_publish_seconds": 5.0}, {"match_to_publish_seconds": 4.0}]) == {
        "match_to_publish_seconds": 4.0}


def test_the_benchmark_refuses_fewer_than_one_run(capsys):
    from crm_pipelines.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["benchmark", "--contacts", "10", "--repeat", "0"])
    assert exit_info.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_a_repeated_benchmark_runs_each_time_on_the_same_records():
    result = benchmark.run(150, seed=5, incremental=False, rerun=False, repeat=2)
    assert result["repeat"] == 2 and len(result["runs"]) == 2
    assert result["match_to_publish_seconds"] == min(r["match_to_publish_seconds"] for r in result["runs"])
    assert result["published_rows"]["xref"] == result["rows"] > 150
    assert 0.9 <= result["precision"] <= 1.0
