"""The validate rules: read the merged dataset, check it, write results/validate/, gate the pipeline."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from dpdktune.atomic import write_json
from dpdktune.dataset import dataset_provenance, read_measurements
from dpdktune.metrics.parquet import write_frame
from dpdktune.validation.validate import enforce, rerun_points, validate

log = logging.getLogger("dpdktune.validation")


def run(
    dataset: str | Path, manifest: str | Path, config: dict[str, Any], workloads: list[str], outputs: dict[str, str]
) -> dict[str, Any]:
    records = read_measurements(dataset)
    prov = dataset_provenance(dataset)
    issues, groups, summary = validate(records, config, workloads, json.loads(Path(manifest).read_text()))
    write_frame(issues, outputs["issues"], prov)
    write_frame(groups, outputs["groups"], prov)
    write_frame(rerun_points(issues), outputs["rerun"], prov)
    write_json(summary, outputs["summary"])
    log.info(
        "validation: %d errors, %d warnings (%s)",
        summary["errors"],
        summary["warnings"],
        ", ".join(f"{k}={v}" for k, v in summary["counts"].items()),
    )
    return summary


def gate(summary_path: str | Path, config: dict[str, Any], out: str | Path) -> None:
    """Fail when `validate.fail_on_error` is set and validation found errors; else record the pass."""
    summary = json.loads(Path(summary_path).read_text())
    enforce(summary, config)
    write_json(
        {
            "passed": summary["passed"],
            "errors": summary["errors"],
            "fail_on_error": config["validate"]["fail_on_error"],
        },
        out,
    )
