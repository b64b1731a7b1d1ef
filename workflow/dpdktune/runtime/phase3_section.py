"""The report's Phase 3 section: tables, plotnine figures and the section spec (report/sections.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dpdktune.analysis.figures import save_figure
from dpdktune.atomic import replacing
from dpdktune.sections import section

#: Resolution of Phase 3's figures (9 inches wide).
DPI = 110
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]


def policy_table(runs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    cols = [
        "fraction_of_oracle",
        "throughput_mpps",
        "latency_p50_us",
        "latency_p99_us",
        "latency_p999_us",
        "cpu_efficiency_mpps_per_core",
        "below_safe_default_share",
        "adaptation_median_s",
        "swaps",
        "rollbacks",
    ]
    cols = [c for c in cols if c in runs]
    out = runs.groupby(by, sort=False)[cols].mean(numeric_only=True).reset_index()
    return out.round(4)


def safety_table(all_runs: pd.DataFrame) -> pd.DataFrame:
    frame = all_runs[all_runs.policy.isin(["adaptive", "fast-only"])]
    cols = [
        "below_safe_default_share",
        "below_safe_default_max_run_outside_restarts",
        "fallbacks",
        "rollbacks",
        "rejected",
        "swaps",
        "novelty_intervals",
        "duration_s",
    ]
    out = (
        frame.groupby(["group", "policy"])[cols]
        .agg(
            {
                c: ("max" if c.endswith("max_run_outside_restarts") else "mean" if c.endswith("share") else "sum")
                for c in cols
            }
        )
        .reset_index()
    )
    out["novelty_fallback_rate"] = out.novelty_intervals / out.duration_s
    return out.round(5)


def timeline_figure(day: dict[str, pd.DataFrame], path: str | Path, hours: float = 2.0) -> Path:
    """Load, cores and objective / oracle over `hours` around the middle of the run (noon of a day)."""
    import plotnine as p9

    end = float(next(iter(day.values())).t_s.max())
    window = (max(0.0, end / 2 - hours * 1800), end / 2 + hours * 1800)
    parts = []
    for policy, frame in day.items():
        f = frame[(frame.t_s >= window[0]) & (frame.t_s < window[1])]
        t = f.t_s / 3600.0
        parts.append(
            pd.DataFrame(
                {"hour": t, "policy": policy, "panel": "objective / oracle", "value": f.objective / f.oracle_objective}
            )
        )
        parts.append(pd.DataFrame({"hour": t, "policy": policy, "panel": "cores", "value": f.cores}))
    ref = next(iter(day.values()))
    f = ref[(ref.t_s >= window[0]) & (ref.t_s < window[1])]
    parts.append(
        pd.DataFrame({"hour": f.t_s / 3600.0, "policy": "traffic", "panel": "load scale", "value": f.load_scale})
    )
    data = pd.concat(parts, ignore_index=True)
    shifts = pd.DataFrame({"hour": f.t_s[f["shift"]] / 3600.0})
    plot = p9.ggplot(data, p9.aes("hour", "value", color="policy"))
    if len(shifts):
        plot += p9.geom_vline(shifts, p9.aes(xintercept="hour"), color="#bbbbbb", linetype="dashed")
    plot = (
        plot
        + p9.geom_step(size=0.5)
        + p9.facet_wrap("~panel", ncol=1, scales="free_y")
        + p9.scale_color_manual(values=OKABE_ITO)
        + p9.labs(
            x="simulated hour of the day", y="", title="Adaptation timeline (middle of the day run; dashed: shifts)"
        )
        + p9.theme_bw()
    )
    return save_figure(plot, path, 9, 7, dpi=DPI)


def regret_figure(day: dict[str, pd.DataFrame], path: str | Path) -> Path:
    import plotnine as p9

    parts = []
    for policy, frame in day.items():
        regret = np.cumsum((frame.oracle_objective - frame.objective).to_numpy())
        step = max(1, len(frame) // 2000)
        parts.append(
            pd.DataFrame({"hour": frame.t_s.to_numpy()[::step] / 3600.0, "regret": regret[::step], "policy": policy})
        )
    plot = (
        p9.ggplot(pd.concat(parts), p9.aes("hour", "regret", color="policy"))
        + p9.geom_line()
        + p9.scale_color_manual(values=OKABE_ITO)
        + p9.labs(
            x="simulated hour",
            y="cumulative regret (objective x intervals)",
            title="Cumulative regret over the simulated day",
        )
        + p9.theme_bw()
    )
    return save_figure(plot, path, 9, 5, dpi=DPI)


def overhead_frame(day_runs: pd.DataFrame, interval_s: float) -> pd.DataFrame:
    row = day_runs[day_runs.policy == "adaptive"].iloc[0]
    fast = float(row.fast_tier_ns_median) * 1e-9 / interval_s
    slow = float(row.slow_tier_cpu_s) / float(row.duration_s)
    return pd.DataFrame(
        {
            "component": [
                "fast tier: fp_decide per interval (ctypes call)",
                "slow tier: refit + distil + compile + shadow (worker thread)",
            ],
            "cpu_share_of_one_core": [fast, slow],
            "detail": [
                f"{row.fast_tier_ns_median:.0f} ns per decision, one per {interval_s:g} s",
                f"{row.slow_tier_cpu_s:.1f} CPU s over {row.duration_s / 3600:.0f} simulated h",
            ],
        }
    )


def overhead_figure(frame: pd.DataFrame, path: str | Path) -> Path:
    import plotnine as p9

    plot = (
        p9.ggplot(frame, p9.aes("component", "cpu_share_of_one_core"))
        + p9.geom_col(fill=OKABE_ITO[4])
        + p9.coord_flip()
        + p9.scale_y_log10()
        + p9.labs(x="", y="CPU share of one core (log scale)", title="Runtime overhead (simulated day)")
        + p9.theme_bw()
    )
    return save_figure(plot, path, 9, 3, dpi=DPI)


def architecture_figure(path: str | Path) -> Path:
    import plotnine as p9

    boxes = pd.DataFrame(
        [
            ("data plane: rx_burst / tx_burst loop", 0, 4, 4.2, 5),
            ("fast tier: fastpath.so fp_decide\n(tree + novelty gate -> safe default)", 0, 4, 2.4, 3.4),
            ("ring buffer of recent metrics", 5, 9, 4.2, 5),
            ("slow tier (worker thread): refit tree on\ncampaign + replayed fresh traffic", 5, 9, 2.4, 3.4),
            ("compile (.fpt) + shadow-validate on the twin\nvs live tree and safe default", 5, 9, 0.6, 1.6),
            ("fp_swap (publish) / rollback after K\nintervals below prev tree or safe default", 0, 4, 0.6, 1.6),
        ],
        columns=["label", "x0", "x1", "y0", "y1"],
    )
    boxes["x"], boxes["y"] = (boxes.x0 + boxes.x1) / 2, (boxes.y0 + boxes.y1) / 2
    arrows = pd.DataFrame(
        [
            (2, 4.2, 2, 3.4, "features each interval"),
            (4, 4.6, 5, 4.6, "metrics"),
            (7, 4.2, 7, 3.4, "fresh cells"),
            (7, 2.4, 7, 1.6, "candidate"),
            (5, 1.1, 4, 1.1, "accepted"),
            (2, 1.6, 2, 2.4, "new tree"),
            (1, 3.4, 1, 4.2, "config"),
        ],
        columns=["x", "y", "xend", "yend", "label"],
    )
    plot = (
        p9.ggplot()
        + p9.geom_rect(boxes, p9.aes(xmin="x0", xmax="x1", ymin="y0", ymax="y1"), fill="#eef4fb", color="#0072B2")
        + p9.geom_text(boxes, p9.aes("x", "y", label="label"), size=7)
        + p9.geom_segment(
            arrows,
            p9.aes("x", "y", xend="xend", yend="yend"),
            arrow=p9.arrow(length=0.08, type="closed"),
            color="#D55E00",
        )
        + p9.geom_text(
            arrows,
            p9.aes(x="(x + xend) / 2 + 0.15", y="(y + yend) / 2", label="label"),
            size=6,
            ha="left",
            color="#D55E00",
        )
        + p9.labs(title="Two-tier runtime")
        + p9.theme_void()
    )
    return save_figure(plot, path, 9, 4.5, dpi=DPI)


def headline(day_runs: pd.DataFrame) -> dict[str, Any]:
    by = day_runs.set_index("policy")
    a = by.loc["adaptive"]
    return {
        "adaptive_fraction_of_oracle": float(a.fraction_of_oracle),
        "fast_only_fraction_of_oracle": float(by.loc["fast-only"].fraction_of_oracle),
        "static_fraction_of_oracle": float(by.loc["static"].fraction_of_oracle),
        "reactive_fraction_of_oracle": float(by.loc["reactive"].fraction_of_oracle),
        "within_5pct_of_oracle": bool(a.fraction_of_oracle >= 0.95),
        "beats_static": bool(a.fraction_of_oracle > by.loc["static"].fraction_of_oracle),
        "beats_reactive": bool(a.fraction_of_oracle > by.loc["reactive"].fraction_of_oracle),
        "adaptation_median_s": None if pd.isna(a.adaptation_median_s) else float(a.adaptation_median_s),
        "adaptation_within_10s_share": (
            float(a.adaptation_within_10s_share)
            if "adaptation_within_10s_share" in a and pd.notna(a.adaptation_within_10s_share)
            else None
        ),
        "below_safe_max_run_outside_restarts": int(a.below_safe_default_max_run_outside_restarts),
        "run_wall_s": float(a.run_wall_s),
    }


def section_spec(h: dict[str, Any], paths: dict[str, str], config: dict[str, Any]) -> dict[str, Any]:
    rt = section(config, "runtime")
    verdict = ("is" if h["within_5pct_of_oracle"] else "is NOT") + " within 5 % of the oracle"
    abl = h.get("ablations", {})
    gate = ""
    if "full" in abl and "no novelty detection" in abl:
        better = abl["no novelty detection"] > abl["full"]
        gate = (
            f" Ablations: the full runtime reaches {abl['full']:.3f} of the oracle, without novelty detection "
            f"{abl['no novelty detection']:.3f}"
            + (
                " - even with its margin calibrated on held-out learning trials, the leaf-box gate sends some "
                "known traffic (which differs from what the boxes were built on only by trial noise) to the safe "
                "default, and that costs more than the gate saves once the guard catches a bad choice after one "
                "interval."
                if better
                else " - the gate, calibrated on held-out learning trials, earns its keep."
            )
        )
        if "no fast-tier guard" in abl:
            gate += f" Without the fast-tier guard: {abl['no fast-tier guard']:.3f}."
    share = h.get("adaptation_within_10s_share")
    adapt_ok = share is not None and share >= 1.0
    run = h["below_safe_max_run_outside_restarts"]
    goals = (
        f"Goals, plainly: within 5 % of the oracle - {'holds' if h['within_5pct_of_oracle'] else 'does NOT hold'}; "
        f"beats the best static config - {'holds' if h['beats_static'] else 'does NOT hold'}; beats the reactive "
        f"controller - {'holds' if h['beats_reactive'] else 'does NOT hold'}; adapts within 10 s of a shift - "
        + (
            f"{'holds' if adapt_ok else 'does NOT hold'} ({share:.1%} of the day's shifts)"
            if share is not None
            else "not measured"
        )
        + f"; never more than one interval below the safe default outside a port restart's charge - "
        f"{'holds' if run <= 1 else 'does NOT hold'} (longest run {run})."
    )
    return {
        "id": "phase3",
        "title": "Phase 3: the two-tier adaptive runtime under changing traffic",
        "paragraphs": [
            "Every policy runs over the same scenarios, seeds and traffic (`dpdktune run --backend sim`). The "
            "fast tier calls the compiled tree (fastpath.so, in-process through ctypes) once per "
            f"{rt.decision_interval_s} s on the data-plane features of the previous interval; a ring "
            "change restarts the port and loses rl.restart_cost_s of the interval. The slow tier refits a tree on "
            "the campaign plus replayed recent traffic (a supervised refit, not a d3rlpy fine-tune), compiles it, "
            "shadow-validates it against the live tree and the safe default (each through its novelty gate, on the "
            "recent traffic replayed as the data plane measured it), publishes it with fp_swap, and rolls "
            "back after rollback_k intervals below the previous tree or the safe default.",
            "What the sim backend makes easy: the twin that shadow-validates candidates is the same simulator the "
            "live data plane runs (the tuner learns from one half of each training cell's runs and is scored on the "
            "other, so only trial noise separates them on known traffic). For a workload the campaign never saw the "
            "twin has only a cell fitted from measurements, with the shape of a training workload, so there its "
            "errors are a model's, as they would be on a real testbed. Load is simulated at the nearest of "
            "runtime.load_levels, so the oracle and every policy see the same discretised load.",
            f"Simulated day: the runtime reaches {h['adaptive_fraction_of_oracle']:.3f} of the oracle's total, so it "
            f"{verdict}; it {'beats' if h['beats_static'] else 'does NOT beat'} the best static config and "
            f"{'beats' if h['beats_reactive'] else 'does NOT beat'} the reactive controller. Median adaptation after a "
            f"shift: {h['adaptation_median_s']} s. Longest run below the safe default outside port restarts: "
            f"{h['below_safe_max_run_outside_restarts']} interval(s). The day took {h['run_wall_s']:.0f} s wall. "
            f"The fast tier alone reaches {h['fast_only_fraction_of_oracle']:.3f}, the best static config "
            f"{h['static_fraction_of_oracle']:.3f}, the reactive controller {h['reactive_fraction_of_oracle']:.3f}."
            + gate,
            goals,
            "How the runtime meets the safety goal and adapts: the fast tier's guard sends the interval after one "
            "that fell short of the safe default's expected value to the safe default at once, with no ring "
            "confirmation, and vetoes the config that fell short on that traffic. The guard knows traffic only by "
            "what the data plane measures: its offered rate (rx + imissed) and mean frame size, in log buckets 5 % "
            "wide; the expected value is the safe default's objective per Mpps on the twin's learning trials in "
            "that bucket (the lowest where several workloads share it), or what the safe default measured there "
            "once it has run on it; a restart interval is judged on its config's value without the "
            "restart's charge (the charge is excused, a bad config is not). A measured objective that misses the "
            "calibrated twin by more than runtime.surprise_tolerance starts a slow-tier cycle at once. The refit's "
            "labels treat configs within runtime.label_tie_share of the best as a tie won by the largest rings: with "
            "two learning trials the twin's argmax was often the smallest ring that happened to pass, on a loss cliff "
            "the live traffic fell off, and the slow tier found those one config per cycle. These thresholds were "
            "chosen on config/scenarios/tuning.yaml, never on the reported scenarios, as were the guard's "
            "bucket widths. "
            "The slow tier does not know the traffic's name or load level either: its replay, calibration and "
            "rollback watch key on the same measured signature, matched to the campaign cell whose learning-trial "
            "features under the config that ran are nearest (in units of the campaign's trial noise); traffic "
            "farther from every campaign cell than two trials of one cell are from each other gets a cell "
            "identified from measurements: the training workload shape and per-packet work whose simulation at the "
            "measured offered rate and frame size shows the features nearest to the measured ones, simulated. Its "
            "twin knows only the campaign's workloads.",
            "The reactive controller (l3fwd-power / Shenango-style) adds cores on ring occupancy or loss and removes "
            "them on mostly-empty polls, keeping the default rings; its thresholds were fixed before any run. "
            "The rules baseline applies Phase 1's rules every interval to the features under the config it runs "
            "now (they were fitted on default-config fingerprints, so off the default they extrapolate). The learned "
            "closed-loop policies (adaptive, fast-only, rules) change rings only after "
            f"{rt.ring_confirm_intervals} requests in a row: trial noise otherwise flips near-tied ring "
            "choices, and the port restarts were two thirds of the day's regret before this.",
            "The slow tier calibrates its twin online: a (traffic, config) pair the data plane ran is scored by what "
            "was measured there, so a tree that does worse live than the twin predicted is relabelled at the next "
            "refit; a rollback or fallback starts that refit at once. Known workloads gain little from it (the "
            "campaign already covers them); on novel ones it is as good as the identified cell and the configs "
            "measured there (see the novel table and the ablations).",
        ],
        "metrics": [
            {
                "label": "Day: fast tier alone / oracle",
                "value": f"{h['fast_only_fraction_of_oracle']:.3f}",
                "source": paths["day"],
            },
            {
                "label": "Day: adaptive / oracle",
                "value": f"{h['adaptive_fraction_of_oracle']:.3f}",
                "source": paths["day"],
            },
            {
                "label": "Median adaptation after a shift",
                "value": f"{h['adaptation_median_s']} s",
                "source": paths["day"],
            },
        ],
        "tables": [
            {
                "caption": "Static workloads: every Phase 1 workload alone, every policy (means over the run)",
                "source": paths["static_table"],
                "max_rows": 120,
            },
            {
                "caption": "Dynamic transitions (shifts every 5-10 min): objective / oracle, adaptation time",
                "source": paths["dynamic_table"],
            },
            {
                "caption": "Novel workloads (held out of training): zero-shot share of the oracle (first 30 s) and "
                "time until the policy stays within 5 % of the oracle",
                "source": paths["novel_table"],
            },
            {"caption": "Safety: time below the safe default, fallbacks, rollbacks", "source": paths["safety_table"]},
            {
                "caption": "Simulated day (24 h): every policy, with the process RSS in the run's second and last "
                "hour (the policies share one process, adaptive first: only its RSS is its own; "
                "benchmarks/runtime_day.py runs each in a fresh process)",
                "source": paths["day_table"],
            },
            {
                "caption": "Ablations of the adaptive runtime (shifts with two injected novel workloads)",
                "source": paths["ablation_table"],
            },
            {"caption": "Overhead breakdown", "source": paths["overhead_table"]},
        ],
        "figures": [
            {"caption": "Architecture", "path": paths["architecture_figure"]},
            {"caption": "Adaptation timeline around noon of the simulated day", "path": paths["timeline_figure"]},
            {"caption": "Cumulative regret over the simulated day", "path": paths["regret_figure"]},
            {"caption": "Overhead breakdown", "path": paths["overhead_figure"]},
        ],
    }


def build(groups: list[str], out: dict[str, str], config: dict[str, Any]) -> None:
    """Every table, figure and the section spec, from the groups' run tables and the day's timelines."""
    from dpdktune.atomic import write_json
    from dpdktune.runtime.evaluate import POLICIES

    runs = {Path(p).stem: pd.read_parquet(p) for p in groups}
    all_runs = pd.concat(runs.values(), ignore_index=True)

    def save(frame: pd.DataFrame, key: str) -> None:
        with replacing(out[key]) as tmp:
            frame.to_parquet(tmp, index=False)

    save(policy_table(runs["static"], ["workload", "policy"]), "static_table")
    save(policy_table(runs["dynamic"], ["policy"]), "dynamic_table")
    novel_cols = [
        "workload",
        "policy",
        "zero_shot_fraction",
        "converge_s",
        "fraction_of_oracle",
        "novel_workload_fraction_of_oracle",
        "novelty_intervals",
        "swaps",
        "rollbacks",
    ]
    save(runs["novel"][novel_cols].round(4), "novel_table")
    save(safety_table(all_runs), "safety_table")
    day_table = policy_table(runs["day"], ["policy"])
    rss = runs["day"].set_index("policy")[["rss_mb_second_hour", "rss_mb_last_hour"]]
    save(day_table.join(rss, on="policy"), "day_table")
    abl_cols = [
        "variant",
        "fraction_of_oracle",
        "novel_workload_fraction_of_oracle",
        "known_workload_fraction_of_oracle",
        "adaptation_median_s",
        "below_safe_default_share",
        "swaps",
        "rollbacks",
        "rejected",
        "slow_tier_cpu_s",
    ]
    save(runs["ablations"][abl_cols].round(4), "ablation_table")
    interval = section(config, "runtime").decision_interval_s
    overhead = overhead_frame(runs["day"], interval)
    save(overhead, "overhead_table")
    day_dir = Path(out["section"]).parent / "runs" / "day"
    day = {p: pd.read_parquet(day_dir / p / "timeline.parquet") for p in POLICIES if p != "fast-only"}
    architecture_figure(out["architecture_figure"])
    timeline_figure({p: day[p] for p in ("adaptive", "oracle", "static", "reactive")}, out["timeline_figure"])
    regret_figure(day, out["regret_figure"])
    overhead_figure(overhead, out["overhead_figure"])
    h = headline(runs["day"])
    abl = runs["ablations"].set_index("variant").fraction_of_oracle
    h["ablations"] = {k: float(v) for k, v in abl.items()}
    write_json(h, out["headline"])
    write_json(section_spec(h, {**out, "day": out["day_table"]}, config), out["section"])
