"""The Phase 3 evaluation: the runtime and its baselines over the same scenarios, seeds and traffic.

Groups (one Snakemake job each, one row per run):

- static: every Phase 1 workload alone at its catalogue load, every policy;
- dynamic: random workload shifts every 5-10 minutes (config/scenarios/shifts.yaml), every
  policy, `eval_seeds` seeds (the seed picks which trial's features an interval shows);
- novel: a known workload, then each held-out workload (`eval_novel_workloads`, left out of
  the runtime's training set), then back;
- day: the simulated day (config/scenarios/day.yaml), every policy;
- ablations: the adaptive runtime on a scenario with shifts and injections, one setting changed
  at a time (no novelty detection, no fast-tier guard, no background learning, distillation every 1/10/60 min,
  tree depth, confidence threshold).

The training set is the config's workloads minus the held-out ones, so "novel" means novel.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pandas as pd

from dpdktune.atomic import remove_tree
from dpdktune.runtime.loop import Run
from dpdktune.runtime.settings import eval_settings, runtime_settings

GROUPS = ("static", "dynamic", "novel", "day", "ablations")
POLICIES = ("adaptive", "fast-only", "static", "rules", "reactive", "oracle")
ABLATIONS: dict[str, dict[str, Any]] = {
    "full": {},
    "no novelty detection": {"novelty": False},
    "no fast-tier guard": {"guard": False},
    "no background learning": {"background_learning": False},
    "distil every 1 min": {"distill_every_s": 60.0},
    "distil every 10 min": {"distill_every_s": 600.0},
    "distil every 60 min": {"distill_every_s": 3600.0},
    "tree depth 4": {"tree_depth": 4},
    "tree depth 12": {"tree_depth": 12},
    "confidence threshold 0.5": {"confidence_threshold": 0.5},
    "confidence threshold 0.8": {"confidence_threshold": 0.8},
}
SCALARS = (
    "fraction_of_oracle",
    "regret",
    "adaptation_median_s",
    "adaptation_never",
    "adaptation_within_10s_share",
    "below_safe_default_share",
    "below_safe_default_max_run_outside_restarts",
    "restarts",
    "swaps",
    "rollbacks",
    "fallbacks",
    "rejected",
    "slow_cycles",
    "novelty_intervals",
    "novel_workload_fraction_of_oracle",
    "known_workload_fraction_of_oracle",
    "safe_default_fraction_of_oracle",
    "peak_rss_mb",
)


def training_config(config: dict[str, Any]) -> dict[str, Any]:
    """The config with the held-out workloads left out of `workloads` (the runtime's training set)."""
    held = set(eval_settings(config)["eval_novel_workloads"])
    if not isinstance(config["workloads"], list):
        raise ValueError("workloads: the evaluation needs a list of workload names (not a generator)")
    out = copy.deepcopy(config)
    out["workloads"] = [w for w in config["workloads"] if w not in held]
    if not out["workloads"]:
        raise ValueError("runtime.eval_novel_workloads: holds out every workload; keep at least one to train on")
    return out


def _row(summary: dict[str, Any], frame: pd.DataFrame, **keys) -> dict[str, Any]:
    row = {**keys, **{k: summary.get(k) for k in SCALARS}}
    row["cpu_efficiency_mpps_per_core"] = float((frame.throughput_mpps / frame.cores).mean())
    for m in ("throughput_mpps", "latency_p50_us", "latency_p99_us", "latency_p999_us"):
        row[m] = float(frame[m].mean())
    row["fast_tier_ns_median"] = summary["decision_overhead"]["fast_tier_ns_median"]
    row["slow_tier_cpu_s"] = summary["decision_overhead"]["slow_tier_cpu_s"]
    row["run_wall_s"] = summary["decision_overhead"]["run_wall_s"]
    row["duration_s"] = float(len(frame) * summary["decision_interval_s"])
    rss = summary["rss_mb_by_hour"]
    row["rss_mb_second_hour"] = float(rss[1]) if len(rss) > 1 else None  # the first holds the start-up
    row["rss_mb_last_hour"] = float(rss[-1]) if rss else None
    return row


def _run(config, scenario_file, duration, out: Path, policy, seed, cache, overrides=None, **keys) -> dict[str, Any]:
    settings = runtime_settings(config, **(overrides or {}))
    run = Run(config, scenario_file, duration, out, policy, seed, cache_dir=cache, settings=settings)
    state = out / "state.json"
    if state.exists() and json.loads(state.read_text()).get("args") != run._args():
        remove_tree(out)  # a run of an older configuration: this group's output is being rebuilt
    summary = run.run()
    frame = pd.read_parquet(out / "timeline.parquet")
    return _row(summary, frame, policy=policy, seed=seed, **keys)


def _write_scenario(phases: list, path: Path) -> Path:
    import yaml

    from dpdktune.atomic import write_text

    write_text(yaml.safe_dump({"phases": phases}), path)
    return path


def run_group(
    group: str, config: dict[str, Any], out_dir: str | Path, scenarios_dir: str | Path, cache: str | Path
) -> pd.DataFrame:
    if group not in GROUPS:
        raise ValueError(f"group: {group!r} is not one of {GROUPS}")
    ev = eval_settings(config)
    train_cfg = training_config(config)
    out_dir, scenarios_dir, cache = Path(out_dir), Path(scenarios_dir), Path(cache)
    gen = out_dir / "scenarios"
    gen.mkdir(parents=True, exist_ok=True)
    rows = []
    if group == "static":
        for w in config["workloads"]:
            scn = _write_scenario(
                [{"workload": w, "duration_s": ev["eval_static_s"], "load_scale": 1.0}], gen / f"static-{w}.yaml"
            )
            for policy in POLICIES:
                rows.append(
                    _run(
                        train_cfg,
                        scn,
                        ev["eval_static_s"],
                        out_dir / "runs" / "static" / w / policy,
                        policy,
                        0,
                        cache,
                        group=group,
                        scenario=f"static-{w}",
                        workload=w,
                        novel=w in ev["eval_novel_workloads"],
                    )
                )
    elif group == "dynamic":
        for seed in range(int(ev["eval_seeds"])):
            for policy in POLICIES:
                rows.append(
                    _run(
                        train_cfg,
                        scenarios_dir / "shifts.yaml",
                        ev["eval_dynamic_s"],
                        out_dir / "runs" / "dynamic" / f"{policy}-s{seed}",
                        policy,
                        seed,
                        cache,
                        group=group,
                        scenario="shifts",
                    )
                )
    elif group == "novel":
        for w in ev["eval_novel_workloads"]:
            known = train_cfg["workloads"][0]
            scn = _write_scenario(
                [
                    {"workload": known, "duration_s": 600, "load_scale": 0.7},
                    {"inject": {"workload": w, "duration_s": 900, "load_scale": 0.7}},
                    {"workload": known, "duration_s": 300, "load_scale": 0.7},
                ],
                gen / f"novel-{w}.yaml",
            )
            for policy in POLICIES:
                run_dir = out_dir / "runs" / "novel" / w / policy
                row = _run(
                    train_cfg, scn, 1800, run_dir, policy, 0, cache, group=group, scenario=f"novel-{w}", workload=w
                )
                row.update(novel_metrics(pd.read_parquet(run_dir / "timeline.parquet"), w))
                rows.append(row)
    elif group == "day":
        for policy in POLICIES:
            rows.append(
                _run(
                    train_cfg,
                    scenarios_dir / "day.yaml",
                    ev["eval_day_s"],
                    out_dir / "runs" / "day" / policy,
                    policy,
                    0,
                    cache,
                    group=group,
                    scenario="day",
                )
            )
    else:
        for name, overrides in ABLATIONS.items():
            slug = name.replace(" ", "-")
            rows.append(
                _run(
                    train_cfg,
                    scenarios_dir / "ablation.yaml",
                    ev["eval_dynamic_s"],
                    out_dir / "runs" / "ablations" / slug,
                    "adaptive",
                    0,
                    cache,
                    overrides,
                    group=group,
                    scenario="ablation",
                    variant=name,
                )
            )
    return pd.DataFrame(rows)


def novel_metrics(frame: pd.DataFrame, workload: str, zero_shot_s: float = 30.0) -> dict[str, Any]:
    """Zero-shot share of the oracle (the first `zero_shot_s` of the novel traffic) and the time until
    the policy stays within 5 % of the oracle for the rest of the novel phase."""
    novel = frame[frame.workload == workload]
    t0 = novel.t_s.iloc[0]
    first = novel[novel.t_s < t0 + zero_shot_s]
    good = (novel.objective >= 0.95 * novel.oracle_objective).to_numpy()
    bad = [i for i, g in enumerate(good) if not g]
    converge = None if bad and bad[-1] == len(good) - 1 else float(novel.t_s.iloc[bad[-1] + 1] - t0) if bad else 0.0
    return {"zero_shot_fraction": float(first.objective.sum() / first.oracle_objective.sum()), "converge_s": converge}


def prepare(config: dict[str, Any], cache: str | Path) -> dict[str, Any]:
    """Simulate every cell the evaluation reads (all its workloads at every load level) into `cache`,
    so that the groups, run in parallel, only read them."""
    from dpdktune.fingerprint import feature_names
    from dpdktune.runtime.twin import Twin
    from dpdktune.workloads import config_catalogue

    settings = runtime_settings(training_config(config))
    twin = Twin(config, config_catalogue(config), feature_names(config), settings["twin_trials"], cache)
    cells = [(w, float(lv)) for w in config["workloads"] for lv in settings["load_levels"]]
    for w, lv in cells:
        twin.cell(w, lv)
    return {"cells": [list(c) for c in cells], "simulator_runs": twin.runs, "configs": len(twin.grid)}
