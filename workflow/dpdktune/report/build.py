"""Fill the report template from the stage outputs under results/ and write report.html."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import jinja2
import pandas as pd

from dpdktune.atomic import write_text
from dpdktune.metrics.parquet import read_provenance
from dpdktune.report.embed import embed_image
from dpdktune.report.format import num, fixed, pct, table
from dpdktune.report.sections import load_section

log = logging.getLogger("dpdktune.report")
TEMPLATE = "template.html.j2"


@dataclass(frozen=True)
class ReportInputs:
    """Where each stage left its outputs (the report rule's inputs)."""

    dataset: Path
    manifest: Path
    validate_dir: Path
    analyze_dir: Path
    baselines_dir: Path
    sections: Sequence[Path] = field(default_factory=tuple)
    #: why the Phase 2 sections are (not) in the report, e.g. "Phase 1 decided NO-GO"
    phase2_note: str = ""


# -- context ------------------------------------------------------------------------------

def _read(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path)


def _json(path: Path) -> Any:
    return json.loads(Path(path).read_text())


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def context(inputs: ReportInputs, config: dict[str, Any]) -> dict[str, Any]:
    v, a, b = Path(inputs.validate_dir), Path(inputs.analyze_dir), Path(inputs.baselines_dir)
    src = {name: _rel(path) for name, path in {
        "dataset": inputs.dataset, "manifest": inputs.manifest,
        "validate_summary": v / "summary.json", "issues": v / "issues.parquet", "groups": v / "groups.parquet",
        "analysis_summary": a / "summary.json", "decision": b / "decision.json", "models": b / "models.json",
    }.items()}
    provenance = read_provenance(inputs.dataset)
    manifest = _json(inputs.manifest)
    vsum = _json(v / "summary.json")
    asum = _json(a / "summary.json")
    decision = _json(b / "decision.json")
    models = _json(b / "models.json")
    objective = config["objective"]

    issues = _read(v / "issues.parquet")
    groups = _read(v / "groups.parquet")
    ranges = _read(a / "dynamic_range.parquet")
    top = _read(a / "top_configs.parquet")
    clusters = _read(a / "clusters.parquet")
    importance = _read(a / "importance.parquet")
    pats = _read(a / "patterns.parquet")
    anova = _read(a / "anova.parquet")
    sweet = _read(a / "sweet_spots.parquet")
    cliffs = _read(a / "cliffs.parquet")
    comparison = _read(b / "comparison.parquet")
    aggs = _read(b / "aggregates.parquet")
    signif = _read(b / "significance.parquet")
    failures = _read(b / "failure_modes.parquet")

    p3 = fixed(3)
    val_counts = pd.DataFrame([
        {"check": c, "severity": "error" if c in ("missing", "failed", "range") else "warning", "findings": n}
        for c, n in vsum["counts"].items()
    ])
    failed = issues[issues.check == "failed"].loc[:, ["workload", "rx_desc", "tx_desc", "cores", "burst", "trial", "run_id", "detail"]]
    outl = issues[issues.check == "outlier"].loc[:, ["workload", "rx_desc", "tx_desc", "cores", "burst", "trial", "metric", "value", "detail"]]
    noisy = groups[groups.cv_flagged].sort_values("cv", ascending=False)
    interaction = anova[anova.effect.str.contains(":")].loc[:, ["workload", "df", "F", "p_value", "eta_sq"]].sort_values("p_value") if len(anova) else anova
    main_effects = anova[~anova.effect.str.contains(":") & (anova.effect != "residual")] if len(anova) else anova
    eta = main_effects.pivot(index="workload", columns="effect", values="eta_sq").add_prefix("eta_sq ").reset_index() if len(main_effects) else pd.DataFrame()
    inter_table = interaction.merge(eta, on="workload", how="left") if len(interaction) else interaction

    top_wide = top.assign(config=lambda f: [f"{r}/{t}/{c}/{bu}" for r, t, c, bu in zip(f.rx_desc, f.tx_desc, f.cores, f.burst)])
    top_wide = top_wide.pivot(index="workload", columns="rank", values="config").add_prefix("#").reset_index()
    best = top[top["rank"] == 1].loc[:, ["workload", "objective"]].rename(columns={"objective": "best"})
    top_wide = top_wide.merge(best, on="workload").merge(clusters, on="workload", how="left")

    comp_cols = {c: (pct if c.endswith("_gap") else fixed(2)) for c in comparison.columns if c != "workload"}
    comp_labels = {c: c.replace("_mpps", " Mpps").replace("_gap", " gap") for c in comparison.columns}
    oracle_col = "Oracle_gap"
    comparison_shown = comparison.drop(columns=[oracle_col]) if oracle_col in comparison else comparison

    figures = {name: embed_image(a / "figures" / f"{name}.png") for name in
               ("dynamic_range", "heatmap_rx_cores", "heatmap_rx_tx", "heatmap_aggregate", "penalty", "importance")}
    figures["gap"] = embed_image(b / "figures" / "gap.png")
    fig_src = {name: _rel(a / "figures" / f"{name}.png") for name in figures if name != "gap"} | {"gap": _rel(b / "figures" / "gap.png")}

    findings = key_findings(vsum, asum, decision, ranges, importance, pats, aggs)
    return {
        "title": f"dpdktune characterisation — campaign {manifest.get('campaign_id', '?')}",
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "decision": decision, "findings": findings, "objective": objective,
        "objective_label": OBJECTIVE_LABELS.get(objective, objective),
        "setup": {
            "backend": config["backend"], "backend_version": provenance.get("backend_version", "?"),
            **_hardware(provenance, config),
            "campaign_id": manifest.get("campaign_id", "?"),
            "workloads": sorted(ranges.workload), "grid": config["grid"], "trials": config["trials"],
            "default_config": config["default_config"], "runs": manifest.get("recorded_runs"),
            "expected": manifest.get("expected_runs"), "provenance": provenance,
        },
        "validation": vsum,
        "analysis": asum,
        "models": models,
        "src": src,
        "figures": figures, "fig_src": fig_src,
        "tables": {
            "validation": table(val_counts, src["validate_summary"]),
            "failed": table(failed, src["issues"], max_rows=15),
            "outliers": table(outl.reindex(outl.detail.str.extract(r"([-+]?\d+\.?\d*)")[0].astype(float).abs().sort_values(ascending=False).index) if len(outl) else outl, src["issues"], {"value": p3}, max_rows=15),
            "noisy": table(noisy.loc[:, ["workload", "rx_desc", "tx_desc", "cores", "burst", "n_ok", "mean", "cv"]], src["groups"], {"cv": pct, "mean": p3}, max_rows=15),
            "ranges": table(ranges, _rel(a / "dynamic_range.parquet"), {"ratio": fixed(2), "best": p3, "worst": p3, "mean": p3}),
            "top": table(top_wide, _rel(a / "top_configs.parquet"), {"best": p3},
                         {"cluster_by_config": "cluster (optimal config)", "cluster_by_fingerprint": "cluster (fingerprint)"}),
            "importance": table(importance, _rel(a / "importance.parquet"), {"spearman": fixed(3), "mutual_info": fixed(3), "rank": fixed(0)}),
            "patterns": table(pats.loc[:, ["statement", "workloads_support", "workloads_both", "support", "p_value", "strength"]] if len(pats) else pats, _rel(a / "patterns.parquet"),
                              {"support": pct, "p_value": fixed(4), "strength": fixed(2)}, max_rows=10),
            "interaction": table(inter_table, _rel(a / "anova.parquet"), {"F": fixed(2), "p_value": fixed(4), "eta_sq": fixed(3),
                                 "eta_sq cores": fixed(3), "eta_sq rx_desc": fixed(3)}, {"eta_sq": "eta_sq rx_desc:cores"}),
            "sweet": table(sweet, _rel(a / "sweet_spots.parquet"), {"loss_at_min": pct, "loss_at_max": pct}, max_rows=20),
            "cliffs": table(cliffs, _rel(a / "cliffs.parquet"), {"change": pct}, max_rows=12),
            "aggregates": table(aggs, _rel(b / "aggregates.parquet"), {
                "mean_mpps": fixed(3), "mean_gap": pct, "worst_gap": pct, "std_gap": pct, "gap_ci_low": pct, "gap_ci_high": pct, "inference_us": fixed(1)}),
            "comparison": table(comparison_shown, _rel(b / "comparison.parquet"), comp_cols, comp_labels),
            "significance": table(signif, _rel(b / "significance.parquet"), {"mean_gap_diff": pct, "t": fixed(2), "p_value": fixed(4)}),
            "failures": table(failures, _rel(b / "failure_modes.parquet"), {"gap": pct}, max_rows=25),
        },
        "sections": [load_section(p) for p in inputs.sections],
        "phase2_note": inputs.phase2_note,
        "pct": pct, "num": num,
    }


def _hardware(provenance: dict[str, str], config: dict[str, Any]) -> dict[str, str]:
    """The setup's hardware: the simulator's profile on `sim`, else the host the dataset's
    provenance names (a real dataset never shows a profile as its hardware)."""
    if provenance.get("backend", config["backend"]) == "sim":
        name = provenance.get("hardware", config["hardware"])
        return {"hardware_label": "Hardware profile (simulated)", "hardware": name,
                "hardware_description": _hardware_description(name)}
    return {"hardware_label": "Hardware (probed host)",
            "hardware": provenance.get("hardware", "unknown: the dataset's provenance names no host"),
            "hardware_description": ""}


def _hardware_description(name: str) -> str:
    """The profile's own one-line description and key sizes ("" if it cannot be loaded)."""
    from dpdktune.hardware import load_hardware

    try:
        hw = load_hardware(name)
    except (ValueError, OSError):
        return ""
    return f"{hw.description}; LLC {hw.llc_mb:g} MB, {hw.ddio_ways} of {hw.llc_ways} ways for DDIO"


from dpdktune.objective import LABELS as OBJECTIVE_LABELS  # noqa: E402  (one home for the labels)


def key_findings(vsum, asum, decision, ranges, importance, pats, aggs) -> list[str]:
    """The executive summary's findings, each computed from a stage output."""
    n = asum["workloads"]
    sens = asum["sensitivity_counts"]
    div = asum["diversity"]
    out = [
        f"Opportunity {pct(decision['opportunity'])} (95 % CI {pct(decision['opportunity_ci'][0])} – "
        f"{pct(decision['opportunity_ci'][1])}): the best simple baseline, {decision['best_baseline']}, "
        f"loses that much of the oracle on held-out workloads.",
        f"{sens.get('high', 0)} of {n} workloads are highly config-sensitive (best/worst > "
        f"{asum['options']['high_sensitivity']:g}×), {sens.get('low', 0)} barely (< {asum['options']['low_sensitivity']:g}×); "
        f"median dynamic range {asum['median_dynamic_range']:.2f}×.",
        f"{div['distinct_best']} distinct optimal configs among {n} workloads; running another workload's "
        f"optimum costs {pct(asum['mean_penalty_off_diagonal'])} on average.",
    ]
    ranked = importance[~importance.definitional].sort_values("rank")
    if len(ranked):
        r = ranked.iloc[0]
        out.append(f"Most informative metric about the objective: {r.metric} (mutual information {r.mutual_info:.2f} nats, "
                   f"Spearman rho {r.spearman:+.2f}).")
    if len(pats):
        out.append(f"{len(pats)} reversal pattern(s) found; best supported: {pats.iloc[0].statement}")
    else:
        out.append("No knob effect reverses sign with a workload trait (automated search found no pattern).")
    best_inf = aggs[aggs.policy == decision["best_baseline"]].inference_us
    out.append(
        f"Validation: {vsum['ok_runs']:,} of {vsum['expected_runs']:,} expected runs succeeded; "
        f"{vsum['errors']} error(s), {vsum['warnings']} warning(s)"
        + (f"; {decision['best_baseline']} decides in {best_inf.iloc[0]:.0f} µs (Python)." if len(best_inf) else ".")
    )
    return out


def render(ctx: dict[str, Any]) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent), autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    return env.get_template(TEMPLATE).render(**ctx)


def write_report(inputs: ReportInputs, config: dict[str, Any], out: str | Path) -> dict[str, Any]:
    """Render report.html atomically; return the decision."""
    ctx = context(inputs, config)
    html = render(ctx)
    write_text(html, out)
    log.info("wrote %s (%d kB): decision %s", out, len(html) // 1024, ctx["decision"]["decision"])
    return ctx["decision"]
