"""Run the landscape analysis of a dataset and write `results/analyze/`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from dpdktune.analysis import figures, interactions, landscape_tables, patterns
from dpdktune.atomic import write_json
from dpdktune.fingerprint import default_knobs, fingerprints
from dpdktune.metrics.parquet import write_frame
from dpdktune.objective import objective_values, slo
from dpdktune.sections import AnalysisSettings, section

log = logging.getLogger("dpdktune.analysis")

#: The tables and figures `run` writes; rule analyze_landscape declares each one as an output named
#: <name> (a table) or <name>_figure (a figure).
TABLES = (
    "performance",
    "dynamic_range",
    "top_configs",
    "penalty",
    "clusters",
    "correlations",
    "importance",
    "knob_effects",
    "patterns",
    "anova",
    "sweet_spots",
    "cliffs",
    "variance",
    "eta_summary",
    "knob_levels",
)
FIGURES = (
    "dynamic_range",
    "heatmap_rx_cores",
    "heatmap_rings",
    "heatmap_aggregate",
    "penalty",
    "importance",
    "knob_effects",
    "p99_rx",
)


def output_paths(out_dir: str | Path) -> dict[str, Path]:
    """The outputs `run` writes, laid out under `out_dir` as under results/analyze/."""
    out = Path(out_dir)
    return {
        "summary": out / "summary.json",
        **{name: out / f"{name}.parquet" for name in TABLES},
        **{f"{name}_figure": out / "figures" / f"{name}.png" for name in FIGURES},
    }


def options(config: dict[str, Any]) -> AnalysisSettings:
    return section(config, "analysis")


def analyze(records: pd.DataFrame, config: dict[str, Any]) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Every analysis table, and a summary of the headline numbers."""
    opts = options(config)
    perf = landscape_tables.performance(records, config)
    fps = fingerprints(records, config)
    ranges = landscape_tables.dynamic_range(perf, opts.high_sensitivity, opts.low_sensitivity)
    top = landscape_tables.top_configs(perf, opts.top_k)
    cluster_frame, agreement = landscape_tables.clusters(perf, fps, opts.clusters)
    default = default_knobs(config)
    with_objective = records.assign(objective=objective_values(records, config))
    anova = interactions.anova_by_workload(with_objective, {"tx_desc": default.tx_desc, "burst": default.burst})
    variance = interactions.variance_decomposition(with_objective)
    eta = interactions.eta_summary(variance)
    sweet = interactions.sweet_spots(perf, opts.sweet_spot_margin)
    cliff = interactions.cliffs(perf, opts.cliff_drop)
    effects = patterns.knob_effects(perf)
    tables = {
        "performance": perf,
        "dynamic_range": ranges,
        "top_configs": top,
        "penalty": landscape_tables.penalty_matrix(perf),
        "clusters": cluster_frame,
        "correlations": patterns.correlation_matrix(records, config),
        "importance": patterns.metric_importance(records, config, seed=config["seed"]),
        "knob_effects": effects,
        "patterns": patterns.reversals(
            patterns.slice_effects(records, config), config["objective"], opts.min_effect, split=opts.pattern_split
        ),
        "anova": anova,
        "sweet_spots": sweet,
        "cliffs": cliff,
        "variance": variance,
        "eta_summary": eta,
        "knob_levels": interactions.knob_levels(perf),
    }
    summary = {
        "objective": config["objective"],
        "workloads": int(perf.workload.nunique()),
        "configs": int(perf.config_index.nunique()),
        "sensitivity_counts": {k: int(v) for k, v in ranges.sensitivity.value_counts().items()},
        "median_dynamic_range": float(ranges.ratio.median()),
        "diversity": landscape_tables.diversity(top),
        "clusters": agreement,
        "mean_penalty_off_diagonal": float(tables["penalty"].query("workload != config_of").penalty.mean()),
        "interactions": interactions.summary(anova, sweet, cliff),
        "patterns_found": int(len(tables["patterns"])),
        "anova_fixed": {"tx_desc": default.tx_desc, "burst": default.burst},
        "eta_sq": {
            r.effect: {"median": float(r["median"]), "min": float(r["min"]), "max": float(r["max"])}
            for _, r in eta.iterrows()
        },
        "options": opts.to_dict(),
    }
    return tables, summary


def render_figures(
    tables: dict[str, pd.DataFrame], config: dict[str, Any], outputs: Mapping[str, str | Path], records: pd.DataFrame
) -> dict[str, Path]:
    """Each figure to `outputs["<name>_figure"]`."""
    opts, objective = options(config), config["objective"]
    paths = {name: Path(outputs[f"{name}_figure"]) for name in FIGURES}
    perf = tables["performance"]
    figures.dynamic_range_bars(
        tables["dynamic_range"], paths["dynamic_range"], opts.high_sensitivity, opts.low_sensitivity
    )
    figures.heatmaps(perf, "cores", paths["heatmap_rx_cores"], objective)
    figures.ring_heatmaps(perf, paths["heatmap_rings"], objective)
    figures.knob_effects_plot(tables["knob_levels"], paths["knob_effects"], objective)
    figures.p99_by_rx(records, paths["p99_rx"], slo(config)["p99_us"])
    figures.aggregate_heatmap(perf, paths["heatmap_aggregate"], objective)
    figures.penalty_heatmap(tables["penalty"], paths["penalty"])
    figures.importance_bars(tables["importance"], paths["importance"])
    return paths


def run(
    records: pd.DataFrame, config: dict[str, Any], outputs: Mapping[str, str | Path], provenance: dict[str, str]
) -> dict[str, Any]:
    """The `analyze` rule: each table, figure and the summary to its path in `outputs` (names as in
    `output_paths`)."""
    tables, summary = analyze(records, config)
    for name, frame in tables.items():
        write_frame(frame, outputs[name], provenance)
    render_figures(tables, config, outputs, records)
    write_json(summary, outputs["summary"])
    log.info(
        "analysed %d workloads x %d configs: %d patterns, %d cliffs",
        summary["workloads"],
        summary["configs"],
        summary["patterns_found"],
        summary["interactions"]["cliffs"],
    )
    return summary
