"""Extra report sections (e.g. Phase 2's learned policy) described by a small JSON spec.

A section spec is a JSON file:

    {"id": "phase2", "title": "Phase 2: learned policy",
     "paragraphs": ["...", "..."],
     "metrics": [{"label": "Gap vs oracle", "value": "4.2 %", "source": "results/rl/summary.json"}],
     "tables": [{"caption": "...", "source": "results/rl/scores.parquet", "columns": ["policy", "gap"],
                 "max_rows": 30}],
     "figures": [{"caption": "...", "path": "results/rl/figures/curve.png"}]}

Every table is read from its Parquet source and every figure embedded, so the report stays
self-contained and each number can be checked against the file named beside it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from dpdktune.report.embed import embed_image
from dpdktune.report.format import table as cells


def load_section(path: str | Path) -> dict[str, Any]:
    """A section spec, with its tables read and figures embedded, ready for the template."""
    spec = json.loads(Path(path).read_text())
    for key in ("id", "title"):
        if key not in spec:
            raise ValueError(f"{path}: report section is missing the key {key!r}")
    tables = []
    for i, table in enumerate(spec.get("tables", [])):
        if "source" not in table:
            raise ValueError(f"{path}: tables.{i}: missing the key 'source'")
        frame = pd.read_parquet(table["source"])
        if table.get("columns"):
            frame = frame.loc[:, table["columns"]]
        tables.append(
            {
                "caption": table.get("caption", ""),
                "table": cells(frame, table["source"], max_rows=int(table.get("max_rows", 50))),
            }
        )
    figures = []
    for i, figure in enumerate(spec.get("figures", [])):
        if "path" not in figure:
            raise ValueError(f"{path}: figures.{i}: missing the key 'path'")
        figures.append(
            {"caption": figure.get("caption", ""), "source": figure["path"], "uri": embed_image(figure["path"])}
        )
    return {
        "id": spec["id"],
        "title": spec["title"],
        "paragraphs": spec.get("paragraphs", []),
        "metrics": spec.get("metrics", []),
        "tables": tables,
        "figures": figures,
    }
