"""Number formatting and the table cells the template renders (text, sort key, numeric flag)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd


def num(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, float) and math.isinf(v):
        return "∞"
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def pct(v: Any, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and (math.isnan(v) or math.isinf(v))):
        return "–"
    return f"{100 * float(v):.{digits}f} %"


def fixed(digits: int) -> Callable[[Any], str]:
    return lambda v: (
        "–"
        if v is None or (isinstance(v, float) and math.isnan(v))
        else ("∞" if isinstance(v, float) and math.isinf(v) else f"{float(v):.{digits}f}")
    )


def _sort_key(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, (int, float)):
        return "" if isinstance(v, float) and math.isnan(v) else repr(float(v))
    return str(v)


def table(
    frame: pd.DataFrame,
    source: str,
    formats: dict[str, Callable[[Any], str]] | None = None,
    labels: dict[str, str] | None = None,
    max_rows: int | None = None,
) -> dict[str, Any]:
    """A frame as header + rows of (text, sort key, is-number) cells, with its source file."""
    formats, labels = formats or {}, labels or {}
    shown = frame if max_rows is None else frame.head(max_rows)
    rows = []
    for record in shown.to_dict("records"):
        cells = []
        for col in shown.columns:
            v = record[col]
            v = v.item() if hasattr(v, "item") else v
            text = formats.get(col, num)(v)
            cells.append(
                {"text": text, "key": _sort_key(v), "num": isinstance(v, (int, float)) and not isinstance(v, bool)}
            )
        rows.append(cells)
    return {
        "columns": [labels.get(c, c) for c in shown.columns],
        "rows": rows,
        "source": source,
        "total": len(frame),
        "shown": len(shown),
    }
