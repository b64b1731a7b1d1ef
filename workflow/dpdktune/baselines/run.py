"""The `run_baselines` and `analyze_gap` rules: score the baselines, then compare and decide."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from dpdktune.metrics.parquet import write_frame
from dpdktune.atomic import write_json
from dpdktune.baselines import gap
from dpdktune.baselines.evaluate import BASELINES, make_baselines, score_baselines
from dpdktune.fingerprint import feature_names, fingerprints
from dpdktune.knobs import expand_grid
from dpdktune.objective import objective_table

log = logging.getLogger("dpdktune.baselines")

BASELINE_TABLES = ("scores", "fingerprints", "objective_table")


def run_baselines(records: pd.DataFrame, config: dict[str, Any], out_dir: str | Path, provenance: dict[str, str]) -> None:
    """scores.parquet (every test decision), the fingerprints and objective table it used, models.json."""
    out = Path(out_dir)
    X = fingerprints(records, config)
    table = objective_table(records, config)
    table = table.loc[sorted(set(X.index.get_level_values("workload")))]
    scores = score_baselines(X, table, config)
    write_frame(scores, out / "scores.parquet", provenance)
    write_frame(X, out / "fingerprints.parquet", provenance)
    long = table.stack(future_stack=True).rename("objective").reset_index()
    write_frame(long, out / "objective_table.parquet", provenance)
    write_json(describe_models(X, table, config), out / "models.json")
    log.info("scored %d baselines on %d decisions", scores.policy.nunique(), len(scores))


def describe_models(X: pd.DataFrame, table: pd.DataFrame, config: dict[str, Any]) -> dict[str, Any]:
    """Each baseline fitted on every workload, described (what the report shows as "the rules")."""
    from dpdktune.baselines.evaluate import targets

    grid = expand_grid(config["grid"])
    models = make_baselines(config, table)
    Y = targets(X, table)
    fitted = {name: model.fit(X, Y) for name, model in models.items() if name != "Oracle"}
    names = list(X.columns)

    def knobs(i: int) -> dict[str, int]:
        return grid[int(i)].as_dict()

    return {
        "Static-avg": knobs(fitted["Static-avg"].config_index_),
        "Static-worst": knobs(fitted["Static-worst"].config_index_),
        "Rules": fitted["Rules"].describe(names, grid),
        "Lookup": {"entries": int(len(fitted["Lookup"].keys_)), "key_features": [names[i] for i in fitted["Lookup"].features_]},
        "DT-5": {"leaves": int(fitted["DT-5"].model_.get_n_leaves()), "depth": int(fitted["DT-5"].model_.get_depth())},
        "Linear": {"alpha": fitted["Linear"].alpha},
        "params": {name: {k: v for k, v in m.get_params().items() if k not in ("grid", "table")} for name, m in models.items()},
    }


def run_gap(
    scores: pd.DataFrame, fingerprint_frame: pd.DataFrame, config: dict[str, Any], validation_passed: bool,
    out_dir: str | Path, provenance: dict[str, str],
) -> dict[str, Any]:
    """Comparison, aggregates, significance, failure modes, the decision, and the gap figure."""
    opts = config.get("baselines") or {}
    out = Path(out_dir)
    seed = int(config["seed"])
    per_wl = gap.per_workload(scores)
    aggs = gap.aggregates(per_wl, scores, BASELINES, int(opts.get("bootstrap", 2000)), seed)
    traits = fingerprint_frame.groupby("workload")[list(feature_names(config))].mean()
    tables = {
        "per_workload": per_wl,
        "comparison": gap.comparison(per_wl, BASELINES),
        "aggregates": aggs,
        "significance": gap.significance(per_wl, BASELINES),
        "failure_modes": gap.failure_modes(per_wl, scores, traits, expand_grid(config["grid"]), float(opts.get("fail_gap", 0.10))),
    }
    for name, frame in tables.items():
        write_frame(frame, out / f"{name}.parquet", provenance)
    decision = gap.decide(aggs, config["decision"], validation_passed)
    decision["untested_workloads"] = sorted(set(traits.index) - set(per_wl.workload))
    write_json(decision, out / "decision.json")
    gap_figure(per_wl, out / "figures" / "gap.png")
    log.info("decision %s: opportunity %.1f%% (best baseline %s)", decision["decision"], 100 * decision["opportunity"], decision["best_baseline"])
    return decision


def gap_figure(per_wl: pd.DataFrame, path: Path) -> None:
    from plotnine import aes, coord_flip, geom_point, ggplot, labs, scale_y_continuous, theme_minimal

    from dpdktune.analysis.figures import _save

    data = per_wl[per_wl.policy != "Oracle"].copy()
    order = data.groupby("workload").gap.mean().sort_values().index
    data["workload"] = pd.Categorical(data.workload, list(order))
    data["policy"] = pd.Categorical(data.policy, [p for p in BASELINES if p in set(data.policy)])
    plot = (
        ggplot(data, aes("workload", "gap", color="policy"))
        + geom_point(size=2.5, alpha=0.8)
        + coord_flip()
        + scale_y_continuous(labels=lambda v: [f"{x:.0%}" for x in v])
        + labs(x="", y="gap vs oracle (held-out workloads)", color="baseline")
        + theme_minimal()
    )
    _save(plot, path, 9, 0.28 * data.workload.nunique() + 1.5)
