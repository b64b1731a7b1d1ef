"""The `run_baselines` and `analyze_gap` rules: score the baselines, then compare and decide."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from dpdktune.atomic import write_json
from dpdktune.baselines import gap
from dpdktune.baselines.evaluate import (
    BASELINES,
    STATIC_MEAN,
    STATIC_WORST,
    make_baselines,
    oracle_selection,
    score_baselines,
    splits_for,
)
from dpdktune.baselines.learning_curve import curve_figure, learning_curve
from dpdktune.fingerprint import feature_names, fingerprints
from dpdktune.knobs import expand_grid
from dpdktune.metrics.parquet import write_frame
from dpdktune.objective import LABELS, objective_table, trial_table
from dpdktune.sections import section

log = logging.getLogger("dpdktune.baselines")

BASELINE_TABLES = ("scores", "fingerprints", "objective_table", "learning_curve")
BASELINE_FIGURES = ("learning_curve",)
#: The gap analysis's tables and figures; rule analyze_gap declares each one as an output named
#: <name> (a table) or <name>_figure (a figure).
GAP_TABLES = ("per_workload", "comparison", "aggregates", "significance", "failure_modes", "objectives")
GAP_FIGURES = ("gap", "baselines_vs_oracle")


def baseline_paths(out_dir: str | Path) -> dict[str, Path]:
    """The outputs `run_baselines` writes, laid out under `out_dir` as under results/baselines/."""
    out = Path(out_dir)
    return {
        **{name: out / f"{name}.parquet" for name in BASELINE_TABLES},
        "models": out / "models.json",
        **{f"{name}_figure": out / "figures" / f"{name}.png" for name in BASELINE_FIGURES},
    }


def gap_paths(out_dir: str | Path) -> dict[str, Path]:
    """The outputs `run_gap` writes, laid out under `out_dir` as under results/baselines/."""
    out = Path(out_dir)
    return {
        "decision": out / "decision.json",
        **{name: out / f"{name}.parquet" for name in GAP_TABLES},
        **{f"{name}_figure": out / "figures" / f"{name}.png" for name in GAP_FIGURES},
    }


def decided_objectives(config: dict[str, Any]) -> list[str]:
    """The headline objective first, then the other objectives in `decision.objectives`."""
    head = config["objective"]
    return [head] + [o for o in section(config, "decision").objectives if o != head]


def run_baselines(
    records: pd.DataFrame, config: dict[str, Any], outputs: Mapping[str, str | Path], provenance: dict[str, str]
) -> None:
    """Each to its path in `outputs` (names as in `baseline_paths`): scores (every test decision, per
    objective), the fingerprints and objective tables it used, models (fitted for the headline
    objective), and the headline objective's learning curve (`learning_curve`) with its figure."""
    X = fingerprints(records, config)
    names = sorted(set(X.index.get_level_values("workload")))
    scores, longs = [], []
    for objective in decided_objectives(config):
        table = objective_table(records, config, objective).loc[names]
        trials = trial_table(records, config, objective).loc[names]
        scores.append(score_baselines(X, table, config, trials).assign(objective=objective))
        longs.append(table.stack(future_stack=True).rename("value").reset_index().assign(objective=objective))
        if objective == config["objective"]:
            models = describe_models(X, table, config)
            models["oracle_selection"] = oracle_selection(trials)
            curve = learning_curve(X, table, config, trials, phase1_scores=scores[-1])
    scores = pd.concat(scores, ignore_index=True)
    write_frame(scores, outputs["scores"], provenance)
    write_frame(X, outputs["fingerprints"], provenance)
    write_frame(pd.concat(longs, ignore_index=True), outputs["objective_table"], provenance)
    write_json(models, outputs["models"])
    write_frame(curve, outputs["learning_curve"], provenance)
    curve_figure(curve, Path(outputs["learning_curve_figure"]))
    log.info(
        "scored %d baselines for %d objectives on %d decisions",
        scores.policy.nunique(),
        scores.objective.nunique(),
        len(scores),
    )


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
        STATIC_MEAN: knobs(fitted[STATIC_MEAN].config_index_),
        STATIC_WORST: knobs(fitted[STATIC_WORST].config_index_),
        "static_worst_unserved_workloads": fitted[STATIC_WORST].unserved_samples_,
        "Rules": fitted["Rules"].describe(names, grid),
        "Lookup": {
            "entries": int(len(fitted["Lookup"].keys_)),
            "key_features": [names[i] for i in fitted["Lookup"].features_],
        },
        "DT-5": {"leaves": int(fitted["DT-5"].model_.get_n_leaves()), "depth": int(fitted["DT-5"].model_.get_depth())},
        "Linear": {"alpha": fitted["Linear"].alpha},
        "params": {
            name: {k: v for k, v in m.get_params().items() if k not in ("grid", "table")} for name, m in models.items()
        },
    }


def run_gap(
    scores: pd.DataFrame,
    fingerprint_frame: pd.DataFrame,
    config: dict[str, Any],
    validation_passed: bool,
    outputs: Mapping[str, str | Path],
    provenance: dict[str, str],
) -> dict[str, Any]:
    """Per objective: aggregates and a decision; for the headline objective also the comparison,
    significance, failure modes and figures. The decision keeps `decision` for the headline. Each
    goes to its path in `outputs` (names as in `gap_paths`)."""
    opts = section(config, "baselines")
    seed = int(config["seed"])
    n_boot = opts.bootstrap
    if "objective" not in scores:
        scores = scores.assign(objective=config["objective"])
    headline = config["objective"]
    traits = fingerprint_frame.groupby("workload")[list(feature_names(config))].mean()
    rows, per_objective = [], {}
    for objective in [o for o in decided_objectives(config) if o in set(scores.objective)]:
        part = scores[scores.objective == objective].drop(columns="objective")
        per_wl = gap.per_workload(part)
        aggs = gap.aggregates(per_wl, part, BASELINES, n_boot, seed)
        per_objective[objective] = gap.objective_row(aggs, config["decision"], part)
        rows.append(
            {
                "objective": objective,
                "label": LABELS.get(objective, objective),
                "headline": objective == headline,
                **per_objective[objective],
            }
        )
        if objective == headline:
            head_scores, head_wl, head_aggs = part, per_wl, aggs
    tables = {
        "per_workload": head_wl,
        "comparison": gap.comparison(head_wl, BASELINES),
        "aggregates": head_aggs,
        "significance": gap.significance(head_wl, BASELINES),
        "failure_modes": gap.failure_modes(head_wl, head_scores, traits, expand_grid(config["grid"]), opts.fail_gap),
        "objectives": pd.DataFrame(rows),
    }
    for name, frame in tables.items():
        write_frame(frame, outputs[name], provenance)
    decision = gap.decide(head_aggs, config["decision"], validation_passed)
    splits = splits_for(config, sorted(traits.index))
    decision.update(
        {
            "headline_objective": headline,
            "opportunity_in_sample": per_objective[headline].get("opportunity_in_sample"),
            "objectives": per_objective,
            "splits": len(splits),
            "held_out_per_split": len(splits[0][1]) if splits else 0,
            "significant_pairs_holm": int(tables["significance"].significant.sum()),
            "untested_workloads": sorted(set(traits.index) - set(head_wl.workload)),
        }
    )
    write_json(decision, outputs["decision"])
    gap_figure(head_wl, Path(outputs["gap_figure"]))
    oracle_bars(head_aggs, Path(outputs["baselines_vs_oracle_figure"]), headline)
    log.info(
        "decision %s for %s: opportunity %.1f%% (best baseline %s)",
        decision["decision"],
        headline,
        100 * decision["opportunity"],
        decision["best_baseline"],
    )
    return decision


def gap_figure(per_wl: pd.DataFrame, path: Path) -> None:
    from plotnine import aes, coord_flip, geom_point, ggplot, labs, scale_color_manual, scale_y_continuous

    from dpdktune.analysis.figures import PALETTE, readable, save_figure

    data = per_wl[per_wl.policy != "Oracle"].copy()
    order = data.groupby("workload").gap.mean().sort_values().index
    data["workload"] = pd.Categorical(data.workload, list(order))
    data["policy"] = pd.Categorical(data.policy, [p for p in BASELINES if p in set(data.policy)])
    plot = (
        ggplot(data, aes("workload", "gap", color="policy"))
        + geom_point(aes(shape="policy"), size=3, alpha=0.85)
        + coord_flip()
        + scale_color_manual(values=PALETTE)
        + scale_y_continuous(labels=lambda v: [f"{x:.0%}" for x in v])
        + labs(x="", y="gap vs oracle (held-out workloads)", color="baseline", shape="baseline")
        + readable()
    )
    save_figure(plot, path, 9, 0.28 * data.workload.nunique() + 1.5)


def oracle_bars(aggs: pd.DataFrame, path: Path, objective: str) -> None:
    """Each baseline's mean share of the oracle (1 - mean gap) with its 95 % bootstrap CI."""
    from plotnine import aes, coord_flip, geom_col, geom_errorbar, geom_hline, ggplot, labs, scale_y_continuous

    from dpdktune.analysis.figures import PALETTE, readable, save_figure

    data = aggs[aggs.policy != "Oracle"].assign(
        share=lambda f: 1 - f.mean_gap, low=lambda f: 1 - f.gap_ci_high, high=lambda f: 1 - f.gap_ci_low
    )
    data["policy"] = pd.Categorical(data.policy, list(data.sort_values("share").policy))
    plot = (
        ggplot(data, aes("policy", "share"))
        + geom_col(fill=PALETTE[0], width=0.7)
        + geom_errorbar(aes(ymin="low", ymax="high"), width=0.25)
        + geom_hline(yintercept=1.0, linetype="dashed")
        + coord_flip()
        + scale_y_continuous(labels=lambda v: [f"{x:.0%}" for x in v], limits=(0, 1.05))
        + labs(x="", y=f"share of the oracle ({objective}), mean over held-out workloads; bars: 95 % CI")
        + readable()
    )
    save_figure(plot, path, 10, 0.45 * len(data) + 1.4)
