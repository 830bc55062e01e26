"""Match quality of the published golden tables on the demo tenants, against the demo's ground truth.

    make run && .venv/bin/python benchmarks/demo_match_quality.py [--warehouse URL]

Reads ``golden_contact_xref`` per tenant and compares its clusters with ``World.truth()``:
pairwise precision/recall/F1, B-cubed F1, and cross-tenant merges (must be zero).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from crm_pipelines import settings  # noqa: E402
from crm_pipelines.core.metrics import evaluate  # noqa: E402
from crm_pipelines.demo.world import demo_worlds  # noqa: E402


def demo_quality(url: str) -> dict[str, dict]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select tenant_id, source, source_id, golden_id from golden_contact_xref")).all()
    engine.dispose()
    golden_tenants: dict[str, set] = {}
    for tenant, _s, _i, golden in rows:
        golden_tenants.setdefault(golden, set()).add(tenant)
    report = {}
    for tenant, world in demo_worlds().items():
        truth = world.truth()
        linked = [(truth[(s, i)], g) for t, s, i, g in rows if t == tenant and (s, i) in truth]
        if not linked:
            continue
        metrics = evaluate([g for _, g in linked], [e for e, _ in linked])
        metrics["records"] = len(linked)
        metrics["golden_contacts"] = len({g for _, g in linked})
        metrics["true_entities"] = len({e for e, _ in linked})
        report[tenant] = metrics
    report["_cross_tenant_golden_ids"] = {"count": sum(1 for t in golden_tenants.values() if len(t) > 1)}
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", default=settings.warehouse_url())
    args = parser.parse_args()
    print(json.dumps(demo_quality(args.warehouse), indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
