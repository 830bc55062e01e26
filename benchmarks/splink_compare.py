"""Splink 5 (DuckDB) on exactly the data of ``crm-pipelines benchmark``: a comparison, never a dependency.

Two steps, two interpreters:

    # 1. export the benchmark's generated contacts (raw, as the sources send them) with the truth
    .venv/bin/python benchmarks/splink_compare.py export --contacts 100000 --out /tmp/splink_100k.csv
    # 2. clean in DuckDB, train (u by random sampling, m by EM), predict, cluster, score against the truth
    /tmp/splinkenv/bin/python benchmarks/splink_compare.py run --data /tmp/splink_100k.csv --json

Splink gets a tuned Fellegi-Sunter model: its own cleaning (lower case, German transliteration, phone
to E.164 digits, street/house number split, dates), Jaro-Winkler levels on names, company and street,
exact levels on e-mail, phone, postal code, birthday and VAT id, blocking on e-mail, phone, VAT id,
name + postal code, company + postal code, address and birthday + last name. Metrics: pairwise
(edges at or above the threshold) and after clustering (connected components), both against the
generator's truth, plus time per step and peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sys
import time


def export(contacts: int, seed: int, out: str) -> None:
    from crm_pipelines.core.synth import generate

    cols = ["unique_id", "truth", "source", "kind", "salutation", "first_name", "last_name", "full_name", "company_name",
            "email", "phone", "street", "house_number", "postal_code", "city", "birthday", "vat_id"]
    rows = 0
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for drafts, truth in generate(contacts, seed):
            for d, t in zip(drafts, truth.tolist()):
                w.writerow([d.source_id, t, d.source, d.kind or "", d.salutation or "", d.first_name or "", d.last_name or "",
                            d.full_name or "", d.company_name or "", d.emails[0][1] if d.emails else "",
                            d.phones[0][1] if d.phones else "", d.street or "", d.house_number or "", d.postal_code or "",
                            d.city or "", d.birthday or "", d.vat_id or ""])
                rows += 1
    print(f"exported {rows} rows to {out}", file=sys.stderr)


def _fold(expr: str) -> str:
    """DuckDB SQL: German transliteration before accent stripping, lower case."""
    return (f"strip_accents(replace(replace(replace(replace(lower({expr}), 'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'ß', 'ss'))")


CLEAN_SQL = """
with raw as (
  select *,
    nullif(trim(regexp_replace(full_name, '^(Herr|Frau)\\s+', '')), '') as fn_rest
  from input
), names as (
  select *,
    coalesce(nullif(first_name, ''), case when fn_rest is not null and position(' ' in fn_rest) > 0
             then split_part(fn_rest, ' ', 1) end) as first_raw,
    coalesce(nullif(last_name, ''), case when fn_rest is not null and position(' ' in fn_rest) > 0
             then substr(fn_rest, position(' ' in fn_rest) + 1) else fn_rest end) as last_raw,
    case when house_number is null or house_number = ''
         then regexp_extract(street, '^(.*?)\\s+(\\d+\\s*[a-zA-Z]?)$', 2) else house_number end as house_raw,
    case when house_number is null or house_number = ''
         then coalesce(nullif(regexp_extract(street, '^(.*?)\\s+(\\d+\\s*[a-zA-Z]?)$', 1), ''), street) else street end as street_raw,
    regexp_replace(phone, '[^0-9+]', '', 'g') as phone_digits
  from raw
)
select unique_id, truth, source,
  nullif({first}, '') as first_name,
  nullif({last}, '') as last_name,
  nullif(trim(regexp_replace({company},
      '\\s+(gmbh\\s*&\\s*co\\.?\\s*kg|ug \\(haftungsbeschraenkt\\)|gmbh|ag|e\\.k\\.|gbr|kg|ohg)$', '')), '') as company,
  nullif(lower(trim(email)), '') as email,
  case when phone_digits like '+49%' then '49' || substr(phone_digits, 4)
       when phone_digits like '0049%' then '49' || substr(phone_digits, 5)
       when phone_digits like '0%' then '49' || substr(phone_digits, 2)
       else nullif(phone_digits, '') end as phone,
  nullif(regexp_replace({street}, '(strasse|str\\.|str\\b)', 'str', 'g'), '') as street,
  nullif(lower(replace(house_raw, ' ', '')), '') as house_number,
  nullif(trim(postal_code), '') as postal_code,
  nullif({city}, '') as city,
  cast(coalesce(try_strptime(birthday, '%Y-%m-%d'), try_strptime(birthday, '%d.%m.%Y'),
                try_strptime(birthday, '%Y%m%d')) as date) as birthday,
  nullif(case when regexp_full_match(vat_id, '[0-9]{{9}}') then 'DE' || vat_id else upper(replace(vat_id, ' ', '')) end, '') as vat_id
from names
""".format(first=_fold("trim(first_raw)"), last=_fold("trim(last_raw)"), company=_fold("trim(company_name)"),
           street=_fold("trim(street_raw)"), city=_fold("trim(city)"))


def _x(con, sql: str) -> None:
    con.execute(sql).fetchall()  # DuckDB 2 wants every result consumed before the next statement


def _pairs_in_groups(con, table: str, group: str) -> int:
    return con.execute(f"select coalesce(sum(n * (n - 1) / 2), 0) from (select count(*) n from {table} group by {group})").fetchall()[0][0]


def cluster_metrics(con, table: str, label: str) -> dict:
    """Pairwise P/R/F1 of the clusters in ``table`` (unique_id, label) against the truth."""
    _x(con, f"create or replace temp table _c as select c.{label} as p, d.truth as t from {table} c join cleaned d using (unique_id)")
    tp = _pairs_in_groups(con, "_c", "p, t")
    pred = _pairs_in_groups(con, "_c", "p")
    true = _pairs_in_groups(con, "cleaned", "truth")
    p, r = (tp / pred if pred else 1.0), (tp / true if true else 1.0)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "true_pairs": int(true), "predicted_pairs": int(pred)}


def run(data: str, threshold: float, threads: int | None, extra_thresholds: tuple = (0.9, 0.99, 0.999, 0.9999)) -> dict:
    import duckdb
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    out: dict = {"tool": "splink", "threshold": threshold, "stages": {}}
    t_all = time.perf_counter()
    con = duckdb.connect()
    if threads:
        _x(con, f"set threads={threads}")
    t0 = time.perf_counter()
    _x(con, f"create table input as select * from read_csv('{data}', all_varchar=true, header=true)")
    _x(con, f"create table cleaned as {CLEAN_SQL}")
    out["rows"] = con.execute("select count(*) from cleaned").fetchall()[0][0]
    out["stages"]["load_clean"] = round(time.perf_counter() - t0, 3)

    db_api = DuckDBAPI(connection=con)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.JaroWinklerAtThresholds("first_name", [0.92, 0.8]).configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("last_name", [0.92, 0.8]).configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("company", [0.92, 0.8]).configure(term_frequency_adjustments=True),
            cl.ExactMatch("email"),
            cl.ExactMatch("phone"),
            # one address comparison (street, number and PLZ agree together; counting them as three
            # independent fields triple-counts households and was Splink's main source of false merges)
            cl.CustomComparison(output_column_name="address", comparison_levels=[
                cll.Or(cll.NullLevel("postal_code"), cll.NullLevel("street")),
                cll.And(cll.ExactMatchLevel("street"), cll.ExactMatchLevel("house_number"), cll.ExactMatchLevel("postal_code")),
                cll.And(cll.JaroWinklerLevel("street", 0.9), cll.ExactMatchLevel("postal_code")),
                cll.ExactMatchLevel("postal_code"),
                cll.ElseLevel(),
            ]),
            cl.ExactMatch("birthday"),
            cl.ExactMatch("vat_id"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("email"), block_on("phone"), block_on("vat_id"),
            block_on("last_name", "postal_code"), block_on("company", "postal_code"),
            block_on("street", "house_number", "postal_code"), block_on("birthday", "last_name"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(db_api.register("cleaned"), settings)
    t0 = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match([block_on("email"), block_on("phone")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    # each comparison is trained on blocks that do not fix it: names on e-mail/phone blocks,
    # identifiers on name blocks
    for rule in (block_on("first_name", "last_name"), block_on("email"), block_on("phone")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    out["stages"]["train"] = round(time.perf_counter() - t0, 3)

    t0 = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=0.5)
    out["stages"]["predict"] = round(time.perf_counter() - t0, 3)
    pt = pred.physical_name
    out["scored_pairs_at_0.5"] = con.execute(f"select count(*) from {pt}").fetchall()[0][0]
    true = _pairs_in_groups(con, "cleaned", "truth")
    out["by_threshold"] = {}
    for th in sorted({threshold, *extra_thresholds}):
        tp, n = con.execute(f"""select count(*) filter (where l.truth = r.truth), count(*) from {pt} p
            join cleaned l on l.unique_id = p.unique_id_l join cleaned r on r.unique_id = p.unique_id_r
            where p.match_probability >= {th}""").fetchall()[0]
        pp, pr = (tp / n if n else 1.0), tp / true
        t0 = time.perf_counter()
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, threshold_match_probability=th)
        cluster_s = time.perf_counter() - t0
        out["by_threshold"][str(th)] = {
            "pairwise": {"precision": pp, "recall": pr, "f1": 2 * pp * pr / (pp + pr) if pp + pr else 0.0, "pairs": n},
            "clustered": cluster_metrics(con, clusters.physical_name, "cluster_id"), "cluster_seconds": round(cluster_s, 3)}
    main = out["by_threshold"][str(threshold)]
    out["pairwise"], out["clustered"] = main["pairwise"], main["clustered"]
    out["stages"]["cluster"] = main["cluster_seconds"]
    out["clean_train_score_seconds"] = round(sum(out["stages"][k] for k in ("load_clean", "train", "predict")), 3)
    out["total_seconds"] = round(time.perf_counter() - t_all, 3)
    globals()["LAST"] = (con, pt)  # for ad-hoc inspection when imported
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out.update({k: round(v, 6) for k, v in out["clustered"].items() if k in ("precision", "recall", "f1")})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export", help="write the benchmark's generated data (raw) with truth to CSV")
    e.add_argument("--contacts", type=int, default=100_000)
    e.add_argument("--seed", type=int, default=7)
    e.add_argument("--out", required=True)
    r = sub.add_parser("run", help="run Splink on an exported CSV and print its metrics")
    r.add_argument("--data", required=True)
    r.add_argument("--threshold", type=float, default=0.995, help="match probability (ours auto-merges at 0.995)")
    r.add_argument("--threads", type=int)
    r.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.cmd == "export":
        export(args.contacts, args.seed, args.out)
        return 0
    result = run(args.data, args.threshold, args.threads)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
