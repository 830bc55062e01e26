"""Small markdown helpers for asset metadata previews."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def md_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None, limit: int = 10) -> str:
    if not rows:
        return "_no rows_"
    columns = list(columns or rows[0].keys())

    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        return (text[:60] + "…" if len(text) > 60 else text).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows[:limit]]
    return "\n".join(lines)
