"""Run every validation check on a dataset and write `results/validate/`.

Outputs: issues.parquet (one row per finding), groups.parquet (per (workload, config)
trial statistics), rerun.parquet (the failed or missing points, for `rerun_failed`) and
summary.json (counts per check; `passed` is false when any error was found).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from dpdktune.sections import section
from dpdktune.validation import checks

CHECKS = ("missing", "failed", "range", "outlier", "reproducibility")


class ValidationFailed(RuntimeError):
    """Raised when `validate.fail_on_error` is set and the dataset has errors."""


def validate(
    records: pd.DataFrame, config: dict[str, Any], workloads: list[str], manifest: dict[str, Any] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """(issues, groups, summary) for `records` against the grid, trials and `workloads` of `config`."""
    opts = section(config, "validate")
    groups = checks.reproducibility(records, config).merge(
        checks.slo_verdicts(records, config), on=checks.GROUP, how="left"
    )
    issues = pd.concat(
        [
            checks.missing_points(records, config, workloads),
            checks.failed_runs(records),
            checks.range_violations(records),
            checks.outliers(records, opts.outlier_z, groups),
            checks.irreproducible(groups, opts.cv_threshold),
        ],
        ignore_index=True,
    )
    issues = issues.astype({"value": float, "trial": "Int64", **{k: "Int64" for k in checks.KNOB_NAMES}})
    counts = issues.groupby("check").size().reindex(CHECKS, fill_value=0)
    expected = len(workloads) * len(_grid_points(config)) * config["trials"]
    summary = {
        "expected_runs": expected,
        "records": int(len(records)),
        "ok_runs": int((records.status == "ok").sum()),
        "counts": {name: int(n) for name, n in counts.items()},
        "errors": int((issues.severity == "error").sum()),
        "warnings": int((issues.severity == "warning").sum()),
        "outliers_by_metric": {
            str(k): int(v) for k, v in issues[issues.check == "outlier"].groupby("metric").size().items()
        },
        # the flagged share of points: successful runs with at least one metric flagged
        "outlier_share": float(
            issues[issues.check == "outlier"].run_id.nunique() / max(1, (records.status == "ok").sum())
        ),
        # of which in configs on a knee, where the trials' SLO verdicts differ (regime, not noise)
        "outlier_runs_in_verdict_flips": int(
            issues[(issues.check == "outlier") & issues.detail.str.contains("verdict flips", na=False)].run_id.nunique()
        ),
        "verdict_flips": _flips(groups),
        "objective_stability": checks.objective_stability(records, groups, config),
        "groups": int(len(groups)),
        "groups_cv_flagged": int(groups.cv_flagged.sum()),
        "median_cv": float(groups.cv.median()) if len(groups) else 0.0,
        "cv_threshold": opts.cv_threshold,
        "outlier_z": opts.outlier_z,
    }
    if manifest is not None:
        keys = ("campaign_id", "expected_runs", "recorded_runs", "done_runs", "failed_runs")
        summary["manifest"] = {k: manifest[k] for k in keys if k in manifest}
    summary["passed"] = summary["errors"] == 0
    return issues, groups, summary


def _flips(groups: pd.DataFrame) -> dict[str, Any]:
    """How often the pass/fail SLO verdict of a config differs between its trials."""
    flips = groups.verdict_flip.fillna(False).astype(bool)
    by_workload = groups.assign(flip=flips).groupby("workload").flip.mean()
    return {
        "groups": int(len(groups)),
        "flipped": int(flips.sum()),
        "share": float(flips.mean()) if len(groups) else 0.0,
        "by_workload": {str(k): float(v) for k, v in by_workload.sort_values(ascending=False).items()},
    }


def rerun_points(issues: pd.DataFrame) -> pd.DataFrame:
    """The (workload, config, trial) points to run again: every failed or missing one."""
    points = issues[issues.check.isin(["failed", "missing"])]
    return points.loc[:, ["workload", *checks.KNOB_NAMES, "trial", "check", "detail"]].reset_index(drop=True)


def _grid_points(config: dict[str, Any]) -> list:
    from dpdktune.knobs import expand_grid

    return expand_grid(config["grid"])


def enforce(summary: dict[str, Any], config: dict[str, Any]) -> None:
    """Raise ValidationFailed when errors were found and `validate.fail_on_error` is set."""
    if section(config, "validate").fail_on_error and not summary["passed"]:
        found = ", ".join(f"{n} {c}" for c, n in summary["counts"].items() if n)
        raise ValidationFailed(
            f"validate.fail_on_error is set and the dataset has {summary['errors']} errors ({found}); "
            "see results/validate/issues.parquet"
        )
