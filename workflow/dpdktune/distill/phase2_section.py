"""The report's Phase 2 section, as a spec for `report.sections.load_section`:
learning curves, RL vs baselines vs oracle (leave-workload-out, 95 % CIs), fidelity vs depth,
the tree's top levels drawn and its rules in words, and the inference-latency table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dpdktune.baselines.gap import bar_verdict
from dpdktune.distill import zero_shot
from dpdktune.sections import section
from dpdktune.splits import mean_ci


def comparison(
    records: pd.DataFrame, config: dict[str, Any], rl_decisions: pd.DataFrame, rl_summary: dict[str, Any]
) -> pd.DataFrame:
    """Per policy: mean achieved/oracle over the same LWO splits, with a 95 % t-interval over splits."""
    from dpdktune.baselines.evaluate import estimator_policy, make_baselines, score_policy, splits_for
    from dpdktune.fingerprint import fingerprints
    from dpdktune.objective import objective_table

    X = fingerprints(records, config)
    table = objective_table(records, config)
    n = int(rl_decisions.split.max()) + 1
    splits = splits_for(config, sorted(set(X.index.get_level_values("workload"))))[:n]
    parts = [
        score_policy(estimator_policy(est), X, table, splits, name)
        for name, est in make_baselines(config, table).items()
    ]
    decisions = pd.concat(parts + [rl_decisions], ignore_index=True)
    decisions["score"] = np.where(decisions.oracle > 0, decisions.achieved / decisions.oracle, 0.0)
    rows = []
    for policy, group in decisions.groupby("policy", sort=False):
        mean, lo, hi = mean_ci(group.groupby("split")["score"].mean())
        rows.append(
            {
                "policy": policy,
                "decision": "one pick from the default-config fingerprint",
                "splits": int(group.split.nunique()),
                "score_vs_oracle": mean,
                "ci_low": lo,
                "ci_high": hi,
                "inference_us": float(group.inference_us.median()),
            }
        )
    for row in rl_summary["lwo"]:
        rows.append(
            {
                "policy": f"RL-{row['method']}",
                "decision": "closed loop, settled config",
                "splits": row["splits"],
                "score_vs_oracle": row["final"],
                "ci_low": row["final_lo"],
                "ci_high": row["final_hi"],
                "inference_us": row.get("inference_us"),
            }
        )
    ranked = pd.DataFrame(rows).sort_values("score_vs_oracle", ascending=False)
    return pd.concat([ranked, pd.DataFrame(paired_rows(decisions))], ignore_index=True)


def deployed_rows(fastpath: str | Path, records: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    """The deployed fastpath.so, fallbacks included, scored as it runs (`dpdktune score`) next to
    the static config its fallback runs, on the campaign's workloads: in-sample, since the tree
    saw them all (`benchmarks/phase2_score.py` scores unseen workloads)."""
    from dpdktune.score import score

    rows = []
    for policy, label in (
        (str(fastpath), "fastpath.so (deployed, in-sample)"),
        ("static", "Static (best worst-case, in-sample)"),
    ):
        r = score(policy, records, config, campaign=".", campaign_records=records)
        rows.append(
            {
                "policy": label,
                "decision": f"{r['decision']}; fallback rate {r['fallback_rate']:.1%}",
                "splits": 0,
                "score_vs_oracle": r["fraction_of_oracle"],
                "ci_low": r["ci"][0],
                "ci_high": r["ci"][1],
                "inference_us": None,
            }
        )
    return pd.DataFrame(rows)


DEPLOYED_HELD_OUT = "fastpath.so (deployed setting, held-out)"
DEPLOYED_MINUS_STATIC = "fastpath.so (deployed setting, held-out) minus Static (best worst-case)"


def deployed_split_rows(splits: pd.DataFrame) -> pd.DataFrame:
    """The deployed fastpath.so rebuilt per split (`pipeline.score_deployed_splits`) on the held-out
    workloads: mean over splits with a 95 % t-interval, and its difference to static paired by split."""
    wide = splits.pivot(index="split", columns="policy", values="fraction_of_oracle")
    fallback = splits[splits.policy == "fastpath.so"].fallback_rate.mean()
    rows = []
    for label, values, decision in (
        (DEPLOYED_HELD_OUT, wide["fastpath.so"], f"closed loop through the C library; fallback rate {fallback:.1%}"),
        (DEPLOYED_MINUS_STATIC, wide["fastpath.so"] - wide["static"], "paired difference over splits"),
    ):
        mean, lo, hi = mean_ci(values)
        rows.append(
            {
                "policy": label,
                "decision": decision,
                "splits": int(len(wide)),
                "score_vs_oracle": mean,
                "ci_low": lo,
                "ci_high": hi,
                "inference_us": None,
            }
        )
    return pd.DataFrame(rows)


def deployed_words(comparison: pd.DataFrame, bar: float | None) -> str:
    """The deployed fast path on held-out workloads in plain words, against Phase 1's bar (half its
    opportunity, under GO or MAYBE) when there is one."""
    held = comparison.set_index("policy")
    if DEPLOYED_HELD_OUT not in held.index:
        return ""
    f, d = held.loc[DEPLOYED_HELD_OUT], held.loc[DEPLOYED_MINUS_STATIC]
    text = (
        f"The deployed fastpath.so, rebuilt on each split's training workloads and run through the C library "
        f"with its fallback ({f.decision.split('; ')[-1]}), scores {f.score_vs_oracle:.3f} (CI {f.ci_low:.3f}-"
        f"{f.ci_high:.3f}) on the held-out workloads of the same {int(f.splits)} splits: "
        f"{d.score_vs_oracle:+.3f} against static, paired CI {d.ci_low:+.3f} to {d.ci_high:+.3f}."
    )
    if bar is not None:
        verdict = bar_verdict(d.score_vs_oracle, d.ci_low, bar)
        text += f" Phase 1's goal for it, beating static by half the opportunity ({bar:+.3f}), {verdict}"
    return text


def unseen_words(comparison: pd.DataFrame, bar: float | None) -> str:
    """The deployed fast path on unseen traffic: rebuilt on each split's training workloads, and
    itself on the zero-shot workloads when there are some."""
    return " ".join(w for w in (deployed_words(comparison, bar), zero_shot.words(comparison, bar)) if w)


def paired_rows(decisions: pd.DataFrame) -> list[dict[str, Any]]:
    """Each RL policy minus each baseline, paired split by split (an RL policy's training seeds
    averaged within a split), with a 95 % t-interval over splits: > 0 means RL picks better."""
    means = decisions.groupby(["policy", "split"])["score"].mean().unstack("policy")
    rows = []
    for rl in [p for p in means if str(p).startswith("RL-")]:
        for base in [p for p in means if not str(p).startswith("RL-") and p != "Oracle"]:
            diff = (means[rl] - means[base]).dropna()
            mean, lo, hi = mean_ci(diff)
            rows.append(
                {
                    "policy": f"{rl} minus {base}",
                    "decision": "paired difference over splits",
                    "splits": int(len(diff)),
                    "score_vs_oracle": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                    "inference_us": None,
                }
            )
    return rows


def latency(rl_summary: dict[str, Any], distill_summary: dict[str, Any], depth: pd.DataFrame) -> pd.DataFrame:
    rows = [
        {"policy": f"RL-{m}", "where": f"python, {t['device']}", "per_decision_us": t["inference_us"]}
        for m, t in rl_summary["timings"].items()
    ]
    rows.append(
        {
            "policy": "tree (scikit-learn predict)",
            "where": "python, cpu",
            "per_decision_us": distill_summary["sklearn_predict_us"],
        }
    )
    for _, r in depth.iterrows():
        rows.append(
            {
                "policy": f"tree {r['method']} depth {int(r['depth'])} (node-table walk)",
                "where": "pure python, cpu",
                "per_decision_us": float(r["walk_ns"]) / 1000.0,
            }
        )
    return pd.DataFrame(rows)


def rules_frame(rules_text: str, limit: int = 25) -> pd.DataFrame:
    """The leaves holding the most training states, as sentences."""
    import re

    rows = []
    for line in rules_text.splitlines():
        m = re.search(r"\((\d+) training states, confidence ([0-9.]+)\)", line)
        if m:
            rows.append({"rule": line, "states": int(m.group(1)), "confidence": float(m.group(2))})
    return pd.DataFrame(rows).sort_values("states", ascending=False).head(limit).reset_index(drop=True)


def curves_figure(curves: pd.DataFrame, path: str | Path) -> Path:
    """Learning curves: closed-loop objective / oracle against training steps, mean over splits,
    on training and on held-out workloads."""
    from plotnine import aes, facet_wrap, geom_line, geom_point, ggplot, labs, scale_color_manual

    from dpdktune.analysis.figures import PALETTE, readable, save_figure

    parts = []
    for column, title in (("train_final", "training workloads"), ("test_final", "held-out workloads (zero-shot)")):
        if column in curves and curves[column].notna().any():
            mean = curves.groupby(["method", "step"], as_index=False)[column].mean().rename(columns={column: "value"})
            parts.append(mean.assign(panel=title))
    data = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["method", "step", "value", "panel"])
    data["panel"] = pd.Categorical(data.panel, ["training workloads", "held-out workloads (zero-shot)"])
    plot = (
        ggplot(data, aes("step", "value", color="method"))
        + geom_line()
        + geom_point(size=1.5)
        + facet_wrap("panel")
        + scale_color_manual(values=PALETTE)
        + labs(x="step (gradient steps offline, env steps online)", y="objective / oracle (closed loop)", color="")
        + readable()
    )
    save_figure(plot, path, 12, 4.2)
    return Path(path)


def depth_figure(depth: pd.DataFrame, path: str | Path) -> Path:
    """Distillation: fidelity to the RL policy, and held-out objective / oracle, against max depth."""
    from plotnine import aes, facet_wrap, geom_line, geom_point, ggplot, labs, scale_color_manual

    from dpdktune.analysis.figures import PALETTE, readable, save_figure

    parts = [depth.assign(value=depth.fidelity * 100, measure="fidelity to the RL policy (%)", kind="exact")]
    if "near_fidelity" in depth and depth.near_fidelity.notna().any():
        parts.append(
            depth.assign(
                value=depth.near_fidelity * 100, measure="fidelity to the RL policy (%)", kind="within 5 % of best Q"
            )
        )
    ratio = depth.value_ratio if "value_ratio" in depth else depth.final
    parts.append(depth.assign(value=ratio * 100, measure="student value / teacher value, held-out (%)", kind="exact"))
    data = pd.concat(parts, ignore_index=True)
    plot = (
        ggplot(data, aes("depth", "value", color="method", linetype="kind"))
        + geom_line()
        + geom_point(size=2)
        + facet_wrap("measure", scales="free_y")
        + scale_color_manual(values=PALETTE)
        + labs(x="max depth", y="", color="", linetype="")
        + readable()
    )
    save_figure(plot, path, 12, 4.2)
    return Path(path)


def deployed_origin(method: str, teacher: str) -> str:
    """Where the deployed tree's choices come from, in words."""
    if method == "recorded":
        return (
            "recorded, a value tree fitted to the measured objective / oracle of every config on the "
            f"training workloads (not distilled: {teacher} only standardises its features)"
        )
    return f"{method} distilled from {teacher}"


def fallback_words(gate: dict[str, Any]) -> str:
    """The fast path's fallback in one paragraph: what it runs, and both rates of its novelty gate."""
    k = gate["safe_default_config"]
    text = (
        f"Fallback: on novel or invalid input fp_decide runs the safe default, rx {k['rx_desc']} / tx "
        f"{k['tx_desc']} descriptors, {k['cores']} core{'s' if k['cores'] != 1 else ''}, burst {k['burst']} "
        f"(the {gate['safe_default']}). "
    )
    if gate.get("false_fallback_rate") is None:
        return (
            text
            + f"No trial was held out to calibrate the novelty gate; its margin is the configured {gate['margin']}."
        )
    target = f"the target {gate['target_false_fallback']:.0%}"
    reached = (
        f"within {target}"
        if gate["false_fallback_rate"] <= gate["target_false_fallback"]
        else f"above {target}: no margin tried reached it, so the widest is kept"
    )
    text += (
        f"The novelty gate is calibrated on {gate.get('calibrated_on', 'held-out trials')}: margin {gate['margin']} "
        f"x the training std, false fallbacks {gate['false_fallback_rate']:.1%} on their {gate['held_out_states']} "
        f"in-range states ({reached}); the same states pushed outside the training range fall "
        f"back {gate['out_of_range_fallback_rate']:.0%} of the time."
    )
    if gate.get("held_out_out_of_range_share"):
        text += (
            f" {gate['held_out_out_of_range_share']:.1%} of the held-out workloads' states lie outside the other "
            "workloads' range: the range check sends them to the safe default, as it must."
        )
    return text


def gate_metrics(gate: dict[str, Any], source: str) -> list[dict[str, str]]:
    if gate.get("false_fallback_rate") is None:
        return []
    return [
        {"label": "False fallbacks (held-out)", "value": f"{gate['false_fallback_rate']:.1%}", "source": source},
        {"label": "Out-of-range caught", "value": f"{gate['out_of_range_fallback_rate']:.0%}", "source": source},
    ]


def leaf_words(min_samples_leaf: float) -> str:
    return f"{min_samples_leaf:.0%} of the training states" if min_samples_leaf < 1 else str(int(min_samples_leaf))


ONE_PICK = "one pick from the default-config fingerprint"
STATIC = "Static (best worst-case)"


def _held_out_rows(comparison: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(RL rows, baseline rows) scored on held-out workloads: no paired differences, no
    in-sample rows of the deployed fastpath.so, no oracle."""
    held = comparison[(comparison.splits > 0) & ~comparison.policy.str.contains(" minus ")]
    rl = held[held.policy.str.startswith("RL-")]
    base = held[~held.policy.str.startswith("RL-") & (held.policy != "Oracle") & (held.decision == ONE_PICK)]
    return rl, base


def rl_vs_baseline(comparison: pd.DataFrame, bar: float | None = None) -> str:
    """The best RL policy against the best baseline and against the best static config (the
    fast path's safe default) on the same splits, with their CIs, then the deployed fast path on
    the held-out workloads, in plain words."""
    rl, base = _held_out_rows(comparison)
    if rl.empty or base.empty:
        return unseen_words(comparison, bar)
    r, b = rl.loc[rl.score_vs_oracle.idxmax()], base.loc[base.score_vs_oracle.idxmax()]
    diff = r.score_vs_oracle - b.score_vs_oracle
    overlap = r.ci_low <= b.ci_high and b.ci_low <= r.ci_high
    verdict = ("RL is behind the best baseline" if diff < 0 else "RL is ahead of the best baseline") + (
        ", and the 95 % intervals overlap" if overlap else ", and the 95 % intervals do not overlap"
    )
    text = (
        f"Held-out workloads, share of the oracle: best RL policy {r.policy} {r.score_vs_oracle:.3f} "
        f"(CI {r.ci_low:.3f}-{r.ci_high:.3f}); best baseline {b.policy} {b.score_vs_oracle:.3f} "
        f"(CI {b.ci_low:.3f}-{b.ci_high:.3f}). {verdict} (difference {diff:+.3f})."
    )
    static = base[base.policy == STATIC]
    if not static.empty:
        st = static.iloc[0]
        gain = r.score_vs_oracle - st.score_vs_oracle
        beats = (
            ("beats" if r.ci_low > st.ci_high else "is ahead of, but not clearly better than,")
            if gain > 0
            else "does not beat"
        )
        text += (
            f" Against the best static config ({STATIC} {st.score_vs_oracle:.3f}, CI "
            f"{st.ci_low:.3f}-{st.ci_high:.3f}, the fast path's safe default): the best learner {beats} "
            f"static on held-out workloads (difference {gain:+.3f})."
        )
    unseen = unseen_words(comparison, bar)
    if unseen:
        text += " " + unseen
    deployed = comparison[comparison.policy.str.startswith("fastpath.so (deployed, in-sample")]
    static_in = comparison[comparison.policy.str.startswith("Static (best worst-case, in-sample")]
    if not deployed.empty and not static_in.empty:
        f, st = deployed.iloc[0], static_in.iloc[0]
        text += (
            f" The deployed fastpath.so, fallbacks included, scores {f.score_vs_oracle:.3f} against static's "
            f"{st.score_vs_oracle:.3f} on the workloads it was trained on (in-sample, which says nothing about "
            f"unseen traffic)."
        )
    return text


def section_spec(
    rl_summary: dict[str, Any],
    distill_summary: dict[str, Any],
    top_text: str,
    paths: dict[str, str],
    config: dict[str, Any],
    phase1: str = "",
    bar: float | None = None,
) -> dict[str, Any]:
    """The section spec; `phase1` is the go/no-go in words (`baselines.gap.phase1_note`), `bar`
    half of Phase 1's opportunity under GO or MAYBE (the deployed fast path's goal), else None."""
    rl = section(config, "rl")
    best = max(rl_summary["lwo"], key=lambda r: r["final"] if r["final"] is not None else -1)
    s = distill_summary["setting"]
    versus = rl_vs_baseline(pd.read_parquet(paths["comparison"]), bar)
    return {
        "id": "phase2",
        "title": "Phase 2: RL policies and the deployed decision tree",
        "paragraphs": [
            p
            for p in (
                (
                    f"{phase1}. This section trains for that objective ({config['objective']}) "
                    "and is shown for reference."
                    if phase1
                    else ""
                ),
                versus,
            )
            if p
        ]
        + [
            "State: the fingerprint features observed under the config the DUT runs now (standardised); "
            "action: a config index of the grid; reward: objective / the workload's oracle, with a port "
            f"restart charged as {rl.restart_cost_s} s lost out of each "
            f"{rl.decision_interval_s} s decision when a ring size changes.",
            "Algorithms: " + ", ".join(r["method"] for r in rl_summary["lwo"]) + ". Offline (cql, bcq): d3rlpy "
            "DiscreteCQL / DiscreteBCQ on episodes replayed from the characterization dataset (behaviour "
            "policies: random, local search, epsilon-oracle). Online (dqn, double_dqn): d3rlpy fit_online; ppo: a "
            f"compact torch PPO; both on the {rl.online_env} environment. Scores are "
            "leave-workload-out on the baselines' own splits (the first "
            f"{rl.split_repeats}), 95 % t-intervals over splits.",
            f"Steps for {best['method']} to reach 95 % of its final training score: {best.get('steps_to_95')}.",
            f"Deployed tree (results/distill/tree.json): {deployed_origin(s['method'], distill_summary['teacher'])}, "
            f"max depth {s['depth']}, min samples per leaf {leaf_words(s['min_samples_leaf'])}, top-K "
            f"{s['top_k'] or 'all'} features; {distill_summary['nodes']} nodes, fidelity to the teacher "
            f"{distill_summary['fidelity_all_states'] * 100:.1f} % on every recorded state. Exact fidelity "
            "understates agreement when many configs tie (a flat landscape): the sweep also reports "
            "near_fidelity, the share of states where the tree's config is within 5 % of the teacher's "
            "Q range from its best.",
            fallback_words(distill_summary["fallback"]),
            "The tree's top levels in words (deeper subtrees show the config most of their states get): "
            + " | ".join(line.strip() for line in top_text.splitlines()),
            "Symbolic regression (gplearn, an optional closed-form alternative to the tree) was skipped: "
            "gplearn is not installed, and the "
            "tree already meets the latency goal.",
        ],
        "metrics": [
            {"label": "Best RL vs oracle (held-out)", "value": f"{best['final']:.3f}", "source": paths["rl_summary"]},
            {
                "label": "Tree fidelity to the teacher",
                "value": f"{distill_summary['fidelity_all_states'] * 100:.1f} %",
                "source": paths["distill_summary"],
            },
            {"label": "Tree nodes", "value": str(distill_summary["nodes"]), "source": paths["distill_summary"]},
            *gate_metrics(distill_summary["fallback"], paths["distill_summary"]),
        ],
        "tables": [
            {
                "caption": "RL vs baselines vs oracle, leave-workload-out (objective / oracle, 95 % CI over splits); "
                "the 'in-sample' rows are scored on the campaign's own workloads (CI over workloads); the "
                "'deployed setting, held-out' rows rebuild fastpath.so on each split's training workloads and "
                "score it on the held-out ones; 'A minus B' rows are paired differences over splits",
                "source": paths["comparison"],
            },
            {
                "caption": "Distillation: fidelity and held-out performance vs depth (best leaf size / top-K)",
                "source": paths["depth"],
            },
            {"caption": "The deployed tree's largest leaves as rules", "source": paths["rules_table"], "max_rows": 25},
            {
                "caption": "Inference latency per decision (the C fast path's times are in the codegen benchmark)",
                "source": paths["latency"],
            },
        ],
        "figures": [
            {"caption": "RL learning curves (mean over splits)", "path": paths["curves_figure"]},
            {"caption": "Distillation fidelity vs depth", "path": paths["depth_figure"]},
            {"caption": "The deployed tree's top levels", "path": paths["tree_figure"]},
        ],
    }
