"""``crm-pipelines dedupe INPUT.csv``: the pipeline's normalize-and-match code on any CSV.

Writes one row per input record with its cluster (golden) id, match probability and link method;
rows that cannot be matched go to ``<out>.rejects.csv`` and a summary goes to stderr.
"""

from __future__ import annotations

import argparse
import io
import csv
import sys
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from crm_pipelines.core.canonical import normalize_drafts
from crm_pipelines.core.config import MatchConfig
from crm_pipelines.core.draft import ContactDraft
from crm_pipelines.core.golden.order import in_key_order
from crm_pipelines.core.golden.resolve import resolve_tenant

FIELDS = ("first_name", "last_name", "full_name", "company_name", "email", "phone", "street", "house_number",
          "postal_code", "city", "country", "vat_id", "tax_number", "customer_number", "birth_date")


def parse_map(items: list[str]) -> dict[str, str]:
    mapping = {}
    for item in items:
        src, sep, field = item.partition("=")
        if not sep or field not in FIELDS:
            raise SystemExit(f"--map {item!r}: expected SRC=FIELD with FIELD in {', '.join(FIELDS)}")
        mapping[src] = field
    return mapping


def to_drafts(df: pd.DataFrame, id_col: str, mapping: dict[str, str], source_col: str | None, tenant: str) -> list[ContactDraft]:
    drafts = []
    for rec in df.to_dict("records"):
        d = ContactDraft(tenant, str(rec.get(source_col) or "csv") if source_col else "csv", str(rec[id_col]))
        for col, field in mapping.items():
            value = rec.get(col)
            if value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == "":
                continue
            value = str(value).strip()
            if field == "email":
                d.emails.append(("work", value))
            elif field == "phone":
                d.phones.append(("office", value))
            elif field == "birth_date":
                d.birthday = value
            else:
                setattr(d, field, value)
        drafts.append(d)
    return drafts


def dedupe(df: pd.DataFrame, id_col: str, mapping: dict[str, str], source_col: str | None = None,
           tenant: str = "csv", config: MatchConfig | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (one row per input record with cluster_id/match_probability/link_method, rejects)."""
    drafts = to_drafts(df, id_col, mapping, source_col, tenant)
    norm = normalize_drafts(drafts)
    # in key order: the same records in another row order get the same clusters
    res = resolve_tenant(in_key_order(norm.contacts), None, None, config or MatchConfig(), datetime.now(timezone.utc))
    links = res.xref[["source", "source_id", "golden_id", "match_probability", "link_method"]].rename(
        columns={"golden_id": "cluster_id"})
    keys = pd.DataFrame({"source": [d.source for d in drafts], "source_id": [d.source_id for d in drafts]})
    out = pd.concat([df.reset_index(drop=True), keys.merge(links, how="left", on=["source", "source_id"])
                     [["cluster_id", "match_probability", "link_method"]]], axis=1)
    return out, norm.rejects


def read_contacts_csv(path: str, delimiter: str | None = None, encoding: str | None = None) -> pd.DataFrame:
    """German exports often use ';' and Windows-1252: the delimiter is sniffed (',', ';', tab, '|')
    unless given; the encoding is UTF-8 (with or without BOM), else cp1252, unless given."""
    raw = Path(path).read_bytes()
    if encoding is None:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
    else:
        text = raw.decode(encoding)
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:20_000], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    return pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False)


def _main(args: argparse.Namespace) -> int:
    mapping = parse_map(args.map)
    df = read_contacts_csv(args.input, args.delimiter, args.encoding)
    if args.id_column not in df.columns:
        print(f"dedupe: id column {args.id_column!r} not in {args.input}", file=sys.stderr)
        return 2
    out, rejects = dedupe(df, args.id_column, mapping, args.source_column, args.tenant)
    out.to_csv(args.out, index=False)
    clusters = out["cluster_id"].nunique()
    print(f"dedupe: {len(df)} rows → {clusters} clusters, {len(rejects)} rejected", file=sys.stderr)
    if len(rejects):
        path = Path(args.out).with_suffix(".rejects.csv")
        rejects.to_csv(path, index=False)
        print(f"dedupe: rejects written to {path}", file=sys.stderr)
    return 0


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("dedupe", help="deduplicate a CSV of contacts with the pipeline's matcher",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input")
    p.add_argument("--id-column", required=True)
    p.add_argument("--map", action="append", default=[], metavar="SRC=FIELD", help=f"FIELD in: {', '.join(FIELDS)}")
    p.add_argument("--out", required=True)
    p.add_argument("--source-column")
    p.add_argument("--tenant", default="csv")
    p.add_argument("--delimiter", help="field separator (default: sniffed among , ; tab |)")
    p.add_argument("--encoding", help="file encoding (default: UTF-8, falling back to cp1252)")
    p.set_defaults(func=_main)
    return p
