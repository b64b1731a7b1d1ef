"""Fill the report template from the stage outputs named by the report rule and write report.html."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from dpdktune.atomic import write_text
from dpdktune.dataset import dataset_provenance
from dpdktune.objective import LABELS as OBJECTIVE_LABELS
from dpdktune.objective import slo
from dpdktune.report.embed import embed_image
from dpdktune.report.format import fixed, num, pct, table
from dpdktune.report.sections import load_section

log = logging.getLogger("dpdktune.report")
TEMPLATE = "template.html.j2"


#: The tables the report reads from each stage, by the stage rule's output names.
VALIDATE_FILES = ("issues", "groups")
ANALYZE_FILES = (
    "dynamic_range",
    "top_configs",
    "clusters",
    "importance",
    "patterns",
    "anova",
    "sweet_spots",
    "cliffs",
    "eta_summary",
)
GAP_FILES = ("comparison", "aggregates", "significance", "failure_modes", "objectives")
#: The NDR/PDR search's files: all three or none (then the report says the search did not run).
NDR_FILES = ("ndr", "ndr_best", "ndr_figure")


def required_files() -> tuple[str, ...]:
    """The names of the files every report reads: the report rule's named inputs, less `sections`
    and the optional NDR files. Figures are `<name>_figure`, as their stages name them."""
    from dpdktune.analysis.analyze import FIGURES as ANALYSIS_FIGURES
    from dpdktune.baselines.run import BASELINE_FIGURES, GAP_FIGURES

    return (
        "dataset",
        "manifest",
        "validation",
        *VALIDATE_FILES,
        "analysis",
        *ANALYZE_FILES,
        "decision",
        "models",
        "learning_curve",
        *GAP_FILES,
        *(f"{n}_figure" for n in (*ANALYSIS_FIGURES, *BASELINE_FIGURES, *GAP_FIGURES)),
    )


def files_under(results: str | Path) -> dict[str, Path]:
    """The report's files where the stages write them under `results` (results/ in a pipeline run),
    for callers outside Snakemake such as tests and benchmarks; the report rule names each file."""
    from dpdktune.analysis.analyze import output_paths
    from dpdktune.baselines.run import baseline_paths, gap_paths

    root = Path(results)
    analyze = output_paths(root / "analyze")
    files = {
        "dataset": root / "characterize" / "dataset.parquet",
        "manifest": root / "characterize" / "manifest.json",
        "validation": root / "validate" / "summary.json",
        **{name: root / "validate" / f"{name}.parquet" for name in VALIDATE_FILES},
        **analyze,
        "analysis": analyze["summary"],
        **baseline_paths(root / "baselines"),
        **gap_paths(root / "baselines"),
        "ndr": root / "analyze" / "ndr_summary.json",
        "ndr_best": root / "analyze" / "ndr_best.parquet",
        "ndr_figure": root / "analyze" / "figures" / "ndr.png",
    }
    return {name: files[name] for name in (*required_files(), *NDR_FILES)}


@dataclass(frozen=True)
class ReportInputs:
    """Every file the report reads, by name (the report rule's named inputs; see `required_files`):
    `validation`, `analysis` and `ndr` are those stages' summary JSON files."""

    files: Mapping[str, Path]
    sections: Sequence[Path] = field(default_factory=tuple)
    #: why the Phase 2 sections are (not) in the report, e.g. "Phase 1 decided NO-GO"
    phase2_note: str = ""

    def __post_init__(self) -> None:
        files = {name: Path(path) for name, path in self.files.items()}
        missing = [n for n in required_files() if n not in files]
        if missing:
            raise ValueError(f"report inputs: missing {', '.join(missing)}")
        ndr = [n for n in NDR_FILES if n in files]
        if ndr and len(ndr) != len(NDR_FILES):
            absent = sorted(set(NDR_FILES) - set(ndr))
            raise ValueError(f"report inputs: {', '.join(absent)} missing beside {', '.join(ndr)}")
        object.__setattr__(self, "files", files)


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
    f = inputs.files
    src = {
        name: _rel(f[key])
        for name, key in {
            "dataset": "dataset",
            "manifest": "manifest",
            "validate_summary": "validation",
            "issues": "issues",
            "groups": "groups",
            "analysis_summary": "analysis",
            "decision": "decision",
            "models": "models",
        }.items()
    }
    provenance = dataset_provenance(f["dataset"])
    manifest = _json(f["manifest"])
    vsum = _json(f["validation"])
    asum = _json(f["analysis"])
    decision = _json(f["decision"])
    models = _json(f["models"])
    objective = config["objective"]

    issues = _read(f["issues"])
    groups = _read(f["groups"])
    ranges = _read(f["dynamic_range"])
    top = _read(f["top_configs"])
    clusters = _read(f["clusters"])
    importance = _read(f["importance"])
    pats = _read(f["patterns"])
    anova = _read(f["anova"])
    sweet = _read(f["sweet_spots"])
    cliffs = _read(f["cliffs"])
    comparison = _read(f["comparison"])
    aggs = _read(f["aggregates"])
    signif = _read(f["significance"])
    failures = _read(f["failure_modes"])

    p3 = fixed(3)
    val_counts = pd.DataFrame(
        [
            {"check": c, "severity": "error" if c in ("missing", "failed", "range") else "warning", "findings": n}
            for c, n in vsum["counts"].items()
        ]
    )
    failed = issues[issues.check == "failed"].loc[
        :, ["workload", "rx_desc", "tx_desc", "cores", "burst", "trial", "run_id", "detail"]
    ]
    outl = issues[issues.check == "outlier"].loc[
        :, ["workload", "rx_desc", "tx_desc", "cores", "burst", "trial", "metric", "value", "detail"]
    ]
    noisy = groups[groups.cv_flagged].sort_values("cv", ascending=False)
    interaction = (
        anova[anova.effect.str.contains(":")]
        .loc[:, ["workload", "df", "F", "p_value", "eta_sq"]]
        .sort_values("p_value")
        if len(anova)
        else anova
    )
    main_effects = anova[~anova.effect.str.contains(":") & (anova.effect != "residual")] if len(anova) else anova
    eta = (
        main_effects.pivot(index="workload", columns="effect", values="eta_sq").add_prefix("eta_sq ").reset_index()
        if len(main_effects)
        else pd.DataFrame()
    )
    inter_table = interaction.merge(eta, on="workload", how="left") if len(interaction) else interaction

    top_wide = top.assign(
        config=lambda f: [f"{r}/{t}/{c}/{bu}" for r, t, c, bu in zip(f.rx_desc, f.tx_desc, f.cores, f.burst)]
    )
    top_wide = top_wide.pivot(index="workload", columns="rank", values="config").add_prefix("#").reset_index()
    best = top[top["rank"] == 1].loc[:, ["workload", "objective"]].rename(columns={"objective": "best"})
    top_wide = top_wide.merge(best, on="workload").merge(clusters, on="workload", how="left")

    comp_cols = {c: (pct if c.endswith("_gap") else fixed(2)) for c in comparison.columns if c != "workload"}
    comp_labels = {c: c.replace("_value", " value").replace("_gap", " gap") for c in comparison.columns}
    oracle_col = "Oracle_gap"
    comparison_shown = comparison.drop(columns=[oracle_col]) if oracle_col in comparison else comparison

    from dpdktune.analysis.analyze import FIGURES as ANALYSIS_FIGURES
    from dpdktune.baselines.learning_curve import summarize, verdict
    from dpdktune.baselines.run import BASELINE_FIGURES, GAP_FIGURES

    fig_paths = {name: f[f"{name}_figure"] for name in (*ANALYSIS_FIGURES, *BASELINE_FIGURES, *GAP_FIGURES)}
    figures = {name: embed_image(path) for name, path in fig_paths.items()}
    fig_src = {name: _rel(path) for name, path in fig_paths.items()}
    objectives = _read(f["objectives"])
    ndr = ndr_context(f)
    if ndr["figure"]:
        figures["ndr"], fig_src["ndr"] = ndr["figure"], _rel(f["ndr_figure"])
    eta = _read(f["eta_summary"])

    findings = key_findings(vsum, asum, decision, ranges, importance, pats, aggs, eta)
    return {
        "title": f"dpdktune characterisation — campaign {manifest.get('campaign_id', '?')}",
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "decision": decision,
        "findings": findings,
        "objective": objective,
        "objective_label": OBJECTIVE_LABELS.get(objective, objective),
        "slo": slo(config),
        "banner": data_source(provenance, config),
        "confidence_scope": confidence_scope(decision, provenance, config, vsum),
        "eta": eta.to_dict("records"),
        "headline": headline(decision, objective),
        "objective_rows": objectives.to_dict("records"),
        "ndr": ndr,
        "badge": validation_badge(vsum),
        "setup": {
            "backend": config["backend"],
            "backend_version": provenance.get("backend_version", "?"),
            **_hardware(provenance, config),
            "campaign_id": manifest.get("campaign_id", "?"),
            "workloads": sorted(ranges.workload),
            "grid": config["grid"],
            "trials": config["trials"],
            "default_config": config["default_config"],
            "runs": manifest.get("recorded_runs"),
            "expected": manifest.get("expected_runs"),
            "provenance": provenance,
        },
        "validation": vsum,
        "analysis": asum,
        "models": models,
        "learning_curve": verdict(summarize(_read(f["learning_curve"]))),
        "src": src,
        "figures": figures,
        "fig_src": fig_src,
        "tables": {
            "validation": table(val_counts, src["validate_summary"]),
            "failed": table(failed, src["issues"], max_rows=15),
            "outliers": table(
                outl.reindex(
                    outl.detail.str.extract(r"([-+]?\d+\.?\d*)")[0]
                    .astype(float)
                    .abs()
                    .sort_values(ascending=False)
                    .index
                )
                if len(outl)
                else outl,
                src["issues"],
                {"value": p3},
                max_rows=15,
            ),
            "noisy": table(
                noisy.loc[:, ["workload", "rx_desc", "tx_desc", "cores", "burst", "n_ok", "mean", "cv"]],
                src["groups"],
                {"cv": pct, "mean": p3},
                max_rows=15,
            ),
            "ranges": table(ranges, _rel(f["dynamic_range"]), {"ratio": fixed(2), "best": p3, "worst": p3, "mean": p3}),
            "top": table(
                top_wide,
                _rel(f["top_configs"]),
                {"best": p3},
                {"cluster_by_config": "cluster (optimal config)", "cluster_by_fingerprint": "cluster (fingerprint)"},
            ),
            "importance": table(
                importance, _rel(f["importance"]), {"spearman": fixed(3), "mutual_info": fixed(3), "rank": fixed(0)}
            ),
            "patterns": table(
                pats.loc[:, ["statement", "workloads_support", "workloads_both", "support", "p_value", "strength"]]
                if len(pats)
                else pats,
                _rel(f["patterns"]),
                {"support": pct, "p_value": fixed(4), "strength": fixed(2)},
                max_rows=10,
            ),
            "interaction": table(
                inter_table,
                _rel(f["anova"]),
                {
                    "F": fixed(2),
                    "p_value": fixed(4),
                    "eta_sq": fixed(3),
                    "eta_sq cores": fixed(3),
                    "eta_sq rx_desc": fixed(3),
                },
                {"eta_sq": "eta_sq rx_desc:cores"},
            ),
            "sweet": table(sweet, _rel(f["sweet_spots"]), {"loss_at_min": pct, "loss_at_max": pct}, max_rows=20),
            "cliffs": table(cliffs, _rel(f["cliffs"]), {"change": pct}, max_rows=12),
            "objectives": table(
                objectives.loc[
                    :, ["objective", "label", "opportunity", "ci_low", "ci_high", "best_baseline", "decision"]
                ],
                _rel(f["objectives"]),
                {"opportunity": pct, "ci_low": pct, "ci_high": pct},
                {
                    "label": "what it measures",
                    "ci_low": "95 % CI low",
                    "ci_high": "95 % CI high",
                    "best_baseline": "best baseline",
                },
            ),
            "eta": table(
                eta,
                _rel(f["eta_summary"]),
                {"median": fixed(3), "min": fixed(3), "max": fixed(3)},
                {"median": "median eta² over workloads", "min": "min", "max": "max"},
            ),
            "aggregates": table(
                aggs,
                _rel(f["aggregates"]),
                {
                    "mean_value": fixed(3),
                    "mean_gap": pct,
                    "worst_gap": pct,
                    "std_gap": pct,
                    "gap_ci_low": pct,
                    "gap_ci_high": pct,
                    "inference_us": fixed(1),
                },
            ),
            "comparison": table(comparison_shown, _rel(f["comparison"]), comp_cols, comp_labels),
            "significance": table(
                signif,
                _rel(f["significance"]),
                {"mean_gap_diff": pct, "t": fixed(2), "p_value": fixed(4), "p_holm": fixed(4)},
                {"p_holm": "p (Holm-adjusted)", "significant": "significant (Holm, 5 %)"},
            ),
            "failures": table(failures, _rel(f["failure_modes"]), {"gap": pct}, max_rows=25),
        },
        "sections": [load_section(p) for p in inputs.sections],
        "phase2_note": inputs.phase2_note,
        "pct": pct,
        "num": num,
    }


def _hardware(provenance: dict[str, str], config: dict[str, Any]) -> dict[str, str]:
    """The setup's hardware: the simulator's profile on `sim`, else the host the dataset's
    provenance names (a real dataset never shows a profile as its hardware)."""
    if provenance.get("backend", config["backend"]) == "sim":
        name = provenance.get("hardware", config["hardware"])
        return {
            "hardware_label": "Hardware profile (simulated)",
            "hardware": name,
            "hardware_description": _hardware_description(name),
        }
    return {
        "hardware_label": "Hardware (probed host)",
        "hardware": provenance.get("hardware", "unknown: the dataset's provenance names no host"),
        "hardware_description": "",
    }


def _hardware_description(name: str) -> str:
    """The profile's own one-line description and key sizes ("" if it cannot be loaded)."""
    from dpdktune.hardware import load_hardware

    try:
        hw = load_hardware(name)
    except (ValueError, OSError):
        return ""
    return f"{hw.description}; LLC {hw.llc_mb:g} MB, {hw.ddio_ways} of {hw.llc_ways} ways for DDIO"


def ndr_context(files: Mapping[str, Path]) -> dict[str, Any]:
    """The NDR/PDR searches for the report: summary, best-per-core-count table, figure (or why not)."""
    if "ndr" not in files:
        return {
            "summary": {"supported": False, "reason": "the NDR/PDR search did not run for this report"},
            "table": None,
            "figure": None,
        }
    summary = _json(files["ndr"])
    best = _read(files["ndr_best"])
    wide = None
    if len(best):
        cells = best.pivot_table(index=["workload", "cores"], columns="kind", values="rate_mpps").reset_index()
        cells["text"] = [f"{n:.2f} / {p:.2f}" for n, p in zip(cells.NDR, cells.PDR)]
        wide = cells.pivot(index="workload", columns="cores", values="text")
        wide.columns = [f"{c} cores" for c in wide.columns]
        wide = wide.reset_index()
    return {
        "summary": summary,
        "table": table(wide, _rel(files["ndr_best"])) if wide is not None else None,
        "figure": embed_image(files["ndr_figure"]),
    }


def headline(decision: dict[str, Any], objective: str) -> str:
    """The go/no-go answer in words, for the config's objective."""
    opp, best = pct(decision["opportunity"]), decision["best_baseline"]
    if objective == "cores_at_slo":
        meaning = (
            f"picking each workload's best config would carry the same traffic within the SLO on {opp} fewer "
            f"cores than {best} (where no config carries the load: deliver {opp} more goodput)"
        )
    else:
        meaning = f"{best} loses {opp} of the oracle's {OBJECTIVE_LABELS.get(objective, objective)}"
    bands = decision["thresholds"]
    where = (
        "above " + pct(bands["go"], 0)
        if decision["decision"] == "GO"
        else "between " + pct(bands["maybe"], 0) + " and " + pct(bands["go"], 0)
        if decision["decision"] == "MAYBE"
        else "below " + pct(bands["maybe"], 0)
    )
    return (
        f"Answer for the config's objective, {objective} ({OBJECTIVE_LABELS.get(objective, objective)}): "
        f"on held-out workloads, {meaning}. That is {where}: {decision['decision']}. "
        "Other objectives give the answers in the table."
    )


def data_source(provenance: dict[str, str], config: dict[str, Any]) -> dict[str, str]:
    """The banner: where the numbers come from, in one line, and how far to trust them."""
    backend = provenance.get("backend", config["backend"])
    hardware = provenance.get("hardware", config["hardware"])
    if backend == "sim":
        calibrated = _calibrated(hardware)
        return {
            "kind": "simulated",
            "text": (
                f"Simulated data — profile {hardware}, "
                + ("calibrated against measured runs" if calibrated else "not calibrated")
                + f" ({provenance.get('backend_version', 'simulator')}). "
                "Every number is a model output, not a measurement."
            ),
        }
    host = provenance.get("host", "an unnamed host")
    parts = [p for p in (provenance.get("host_cpu"), provenance.get("host_nic")) if p]
    dpdk = provenance.get("dpdk_version")
    text = f"Measured on {host}" + (f", {', '.join(parts)}" if parts else "") + (f", DPDK {dpdk}" if dpdk else "")
    return {"kind": "measured", "text": f"{text} ({backend} backend, profile {hardware})."}


def _calibrated(name: str) -> bool:
    from dpdktune.hardware import load_hardware

    try:
        return any(str(v).startswith("dpdktune calibrate") for v in load_hardware(name).sources.values())
    except (ValueError, OSError):
        return False


def confidence_scope(
    decision: dict[str, Any], provenance: dict[str, str], config: dict[str, Any], vsum: dict[str, Any]
) -> dict[str, str]:
    """What the confidence level covers, and what it does not."""
    n = decision.get("splits", "?")
    covers = (
        f"sampling variation over workloads: a bootstrap over the held-out workloads' gaps from {n} "
        "leave-workload-out splits, with the oracle chosen on other trials than it is scored on"
    )
    missing = [
        "the choice of objective (the table below shows how the answer moves with it)",
        "workloads outside the campaign's catalogue",
    ]
    if provenance.get("backend", config["backend"]) == "sim":
        missing.insert(0, "how well the simulator models real hardware")
    if vsum.get("warnings"):
        missing.append(f"the {vsum['warnings']} validation warning(s)")
    return {"covers": covers, "not": "; ".join(missing)}


def validation_badge(vsum: dict[str, Any]) -> dict[str, str]:
    if not vsum["passed"]:
        return {"cls": "bad", "text": f"errors found ({vsum['errors']})"}
    n = vsum.get("warnings", 0)
    return {"cls": "ok" if n == 0 else "warn", "text": "passed" if n == 0 else f"passed with {n} warnings"}


def key_findings(vsum, asum, decision, ranges, importance, pats, aggs, eta=None) -> list[str]:
    """The executive summary's findings, each computed from a stage output."""
    n = asum["workloads"]
    sens = asum["sensitivity_counts"]
    div = asum["diversity"]
    out = []
    if eta is not None and len(eta):
        main = eta[~eta.effect.str.contains(":") & (eta.effect != "residual")]
        inter = eta[eta.effect.str.contains(":")]
        parts = [f"{r.effect} {r['median']:.2f} ({r['min']:.2f}–{r['max']:.2f})" for _, r in main.iterrows()]
        text = "Variance of the objective explained (median eta² over workloads, range): " + "; ".join(parts)
        if len(inter):
            top = inter.iloc[0]
            text += f"; the largest interaction, {top.effect}, {top['median']:.2f}"
        out.append(text + ".")
    out += [
        f"{sens.get('high', 0)} of {n} workloads are highly config-sensitive (best/worst > "
        f"{asum['options']['high_sensitivity']:g}×), "
        f"{sens.get('low', 0)} barely (< {asum['options']['low_sensitivity']:g}×); "
        f"{div['distinct_best']} distinct optimal configs; running another workload's optimum costs "
        f"{pct(asum['mean_penalty_off_diagonal'])} on average.",
    ]
    ranked = importance[~importance.definitional].sort_values("rank")
    if len(ranked):
        r = ranked.iloc[0]
        out.append(
            f"Most informative metric about the objective, among those not computed from it: {r.metric} "
            f"(mutual information {r.mutual_info:.2f} nats, Spearman rho {r.spearman:+.2f})."
        )
    out.append(
        f"{len(pats)} knob effect(s) reverse sign with a workload trait (see Patterns)."
        if len(pats)
        else "No knob effect reverses sign with a workload trait (automated search found no pattern)."
    )
    flips = vsum.get("verdict_flips") or {}
    out.append(
        f"Validation: {vsum['ok_runs']:,} of {vsum['expected_runs']:,} expected runs succeeded; "
        f"{vsum['errors']} error(s), {vsum['warnings']} warning(s); "
        f"{pct(vsum.get('outlier_share', 0.0))} of runs flagged as outliers"
        + (f"; a pass/fail SLO verdict differs between trials for {pct(flips['share'])} of configs" if flips else "")
        + "."
    )
    return out


def render(ctx: dict[str, Any]) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(TEMPLATE).render(**ctx)


def write_report(inputs: ReportInputs, config: dict[str, Any], out: str | Path) -> dict[str, Any]:
    """Render report.html atomically; return the decision."""
    ctx = context(inputs, config)
    html = render(ctx)
    write_text(html, out)
    log.info("wrote %s (%d kB): decision %s", out, len(html) // 1024, ctx["decision"]["decision"])
    return ctx["decision"]
