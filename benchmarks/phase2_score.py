"""Phase 2's goal figures, through the same scorer as `dpdktune score`.

    python benchmarks/phase2_score.py [--campaign DIR] [--configfile F ...] [--zero-shot N --zero-seed S ...]
                                      [--lwo K [--student METHOD:DEPTH ...]] [--json OUT]

1. Builds (or reuses) the campaign's `fastpath.so` with the real Snakemake in DIR
   (default: a fresh folder under /tmp, default config plus the given overrides).
2. Simulates a zero-shot campaign: N workloads generated from another seed, on the same grid,
   that no model saw (`workloads: {generate: {count: N, seed: S}}`).
3. Scores the deployed fastpath.so (fallbacks included, closed loop through the C library),
   the best static config, the Phase-1 baselines (rules, lookup, `tree` = DT-5), the teacher RL
   model, the default config and the oracle on it (and on the campaign, in-sample), and
   the paired difference fastpath - static per workload with a bootstrap 95 % CI.
4. With --lwo K, the leave-workload-out splits (the first K of the baselines' splits): per split a
   teacher trained on the training workloads only (the campaign's split model when `snakemake rl`
   left one, else trained here), the deployed tree setting distilled from it, its own fastpath.so
   with a novelty gate calibrated on the training workloads, and every policy fitted on the
   training workloads and scored on the held-out ones; plus the teacher-student fidelity and
   value ratio on the held-out states, per distillation method at the deployed depth. Each
   tree is scored twice: as deployed, and with the novelty gate reduced to the range check
   ("range gate only"), which tells what the leaf-box gate costs or saves on unseen workloads,
   and with the gate calibrated the other way (`distill.novelty_held_out`: held-out training
   workloads instead of held-out trials, or the reverse).
   --student adds other tree settings (e.g. recorded:8, value:8) beside the deployed one.
5. Prints the goals: where Phase 1 says GO or MAYBE, fastpath - static >= half the Phase-1
   opportunity, and fastpath >= 95 % of the oracle. Under NO-GO it says what the data say.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))


def build(campaign: Path, configfiles: list[str]) -> float:
    """`snakemake --cores 2 fastpath.so` plus the Phase-1 decision in `campaign`; wall seconds."""
    campaign.mkdir(parents=True, exist_ok=True)
    for name in ("config", "profiles", "csrc"):
        link = campaign / name
        if not link.exists():
            link.unlink(missing_ok=True)  # a link into a checkout that is gone
            link.symlink_to(REPO / name)
    # targets first: --configfile takes every argument after it
    cmd = [
        str(Path(sys.executable).with_name("snakemake")),
        "fastpath.so",
        "results/baselines/decision.json",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(campaign),
        "--cores",
        "2",
        *(["--configfile", *configfiles] if configfiles else []),
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ | {"PYTHONUNBUFFERED": "1"})
    if proc.returncode != 0:
        sys.exit(f"snakemake failed:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def paired_ci(a: dict[str, float], b: dict[str, float], seed: int) -> tuple[float, float, float]:
    keys = sorted(set(a) & set(b))
    d = np.array([a[k] - b[k] for k in keys])
    rng = np.random.default_rng(seed)
    means = d[rng.integers(len(d), size=(4000, len(d)))].mean(axis=1)
    return float(d.mean()), float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


POLICIES = ("fastpath.so", "static", "rules", "lookup", "rl", "tree", "default", "oracle")


def policy_name(policy: str, teacher: str) -> str:
    return f"rl:{teacher}" if policy == "rl" else policy


RANGE_ONLY = " (range gate only)"


def student_label(setting: dict) -> str:
    return f"{setting['method']}-d{setting['depth']}-l{setting['min_samples_leaf']}-k{setting['top_k']}"


def parse_student(text: str) -> dict:
    """method:depth[:min_samples_leaf[:top_k]], e.g. value:8:5:0 or recorded:8:0.12:0 (a leaf share)."""
    from dpdktune.distill.sweep import setting_of

    parts = text.split(":")
    if not 2 <= len(parts) <= 4:
        raise argparse.ArgumentTypeError(f"--student {text!r}: expected method:depth[:min_samples_leaf[:top_k]]")
    leaf, k = (float(parts[2]) if len(parts) > 2 else 5), (int(parts[3]) if len(parts) > 3 else 0)
    return setting_of({"method": parts[0], "depth": parts[1], "min_samples_leaf": leaf, "top_k": k})


def range_only(table: dict, tree, train, teacher) -> dict:
    """The same tree with the novelty gate reduced to the global range check (no leaf boxes):
    what the leaf-box gate costs or saves on unseen workloads."""
    from dpdktune.distill.export import range_bounds
    from dpdktune.treefile import from_sklearn

    X = teacher.normalizer.impute(train.all_feature_rows())
    out = from_sklearn(
        tree,
        table["features"],
        table["configs"],
        range_bounds(X),
        None,
        table["safe_default"],
        table["confidence_threshold"],
        method=table["generator"].rsplit("/", 1)[-1],
        inputs={**table["inputs"], "novelty": "range check only"},
    )
    return {**out, **{k: table[k] for k in ("normalization", "feature_set", "fallback") if k in table}}


def deployed_setting(ds) -> dict:
    """`distill.deploy` as {method, depth, min_samples_leaf, top_k}; under `auto` (chosen by the
    report's sweep, which is not run here) the shipped default."""
    from dpdktune.distill.settings import DistillSettings
    from dpdktune.distill.sweep import setting_of

    return setting_of(DistillSettings().deploy if ds.deploy == "auto" else ds.deploy)


def lwo(
    campaign: Path, records, config: dict, teacher_algo: str, n_splits: int, extra_students=(), fidelity_methods=None
) -> dict:
    """Every policy fitted on each split's training workloads and scored on its held-out ones
    (see the module docstring); per split, per policy: the score dict of `dpdktune score`."""
    from dataclasses import replace

    from dpdktune.dataset_arrays import Landscape
    from dpdktune.distill.export import fit_deployed, tree_table
    from dpdktune.distill.pipeline import score_table
    from dpdktune.distill.policy import Teacher
    from dpdktune.distill.settings import METHODS, DistillSettings
    from dpdktune.distill.sweep import sweep_split
    from dpdktune.rl.env import EnvSettings
    from dpdktune.rl.experiment import ALL, load_model, lwo_splits, save_model, train_one
    from dpdktune.rl.settings import RLSettings
    from dpdktune.score import score
    from dpdktune.treefile import write_tree_json

    rl = RLSettings.from_config(config.get("rl", {}))
    ds = DistillSettings.from_config(config.get("distill", {}))
    env_settings = EnvSettings.from_config(config.get("rl", {}))
    setting = deployed_setting(ds)
    full = Landscape.from_records(records, config)
    out = {"setting": setting, "students": [setting, *extra_students], "splits": []}
    for k, (train_names, test_names) in enumerate(lwo_splits(config, full.workloads, n_splits)):
        t0 = time.perf_counter()
        where = campaign / "lwo" / str(k)
        deployed = where / "results/rl/deployed" / teacher_algo
        train = full.subset(full.scorable(train_names))
        test = full.subset(full.scorable(test_names))
        if not (deployed / f"{ALL}.json").exists():
            split_model = campaign / "results/rl/models" / teacher_algo / f"{k}.json"
            if split_model.exists() and sorted(json.loads(split_model.read_text())["test"]) == sorted(test_names):
                model, normalizer, _ = load_model(split_model, rl.device)
            else:
                model, normalizer, _, _ = train_one(teacher_algo, config, train, None, rl, env_settings, rl.seed + k)
            save_model(
                teacher_algo,
                model,
                normalizer,
                {"split": str(k), "train": train_names, "test": test_names},
                deployed,
                ALL,
            )
        model, normalizer, _ = load_model(deployed / f"{ALL}.json", rl.device)
        teacher = Teacher(model, normalizer, teacher_algo)
        train_rec = records[records.workload.isin(train_names)]
        test_rec = records[records.workload.isin(test_names)]
        scores = {}
        for policy in POLICIES[1:]:
            scores[policy] = score(
                policy_name(policy, teacher_algo), test_rec, config, campaign=where, campaign_records=train_rec
            )
        gate = None
        for n, student in enumerate([setting] + list(extra_students)):
            label = "fastpath.so" if n == 0 else student_label(student)
            tree = fit_deployed(teacher, train, env_settings, ds, student, rl.eval_decisions)
            table = tree_table(tree, teacher, train, ds, student["method"], {"split": str(k)})
            gate = gate or table["fallback"]
            other = "trials" if ds.novelty_held_out == "workloads" else "workloads"
            other_gate = tree_table(tree, teacher, train, ds, student["method"], {"split": str(k)}, held_out=other)
            for suffix, t, folder in (
                ("", table, ""),
                (RANGE_ONLY, range_only(table, tree, train, teacher), "-range-only"),
                (f" (gate calibrated on held-out {other})", other_gate, f"-{other}-gate"),
            ):
                tree_dir = where / "students" / (student_label(student) + folder)
                write_tree_json(t, tree_dir / "results/distill/tree.json")
                scores[label + suffix] = score_table(t, tree_dir, test_rec, train_rec, config)
        # distillation fidelity on the held-out workloads' states, per method at the deployed depth
        fid_ds = replace(
            ds,
            methods=tuple(fidelity_methods or METHODS),
            depths=(setting["depth"],),
            min_samples_leaf=(setting["min_samples_leaf"],),
            top_k_features=(setting["top_k"],),
        )
        fidelity = sweep_split(teacher, train, test, env_settings, fid_ds, rl.eval_decisions, ds.seed + k)
        out["splits"].append(
            {
                "split": k,
                "train": train_names,
                "test": test_names,
                "scores": scores,
                "fallback": gate,
                "fidelity": fidelity.to_dict(orient="records"),
                "seconds": time.perf_counter() - t0,
            }
        )
        print(
            f"split {k}: fastpath {scores['fastpath.so']['fraction_of_oracle']:.3f}, static "
            f"{scores['static']['fraction_of_oracle']:.3f}, rl {scores['rl']['fraction_of_oracle']:.3f} "
            f"(share of the oracle) on {test_names} ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
    return out


def t_interval(x) -> tuple[float, float, float]:
    from dpdktune.splits import mean_ci

    return mean_ci(np.asarray(x, float))


def print_lwo(result: dict, teacher: str, need: float | None) -> dict:
    """The LWO table: per policy the mean over splits (t-interval), fallback rate, and fastpath - static."""
    splits = result["splits"]
    print(
        f"\nleave-workload-out, {len(splits)} splits (each policy fitted on the split's training workloads; "
        f"deployed tree {result['setting']}):"
    )
    print(f"{'policy':<40}{'mean over splits':>18}{'95 % CI (t, splits)':>24}{'fallback':>10}")
    summary = {}
    for policy in splits[0]["scores"]:
        per = [s["scores"][policy]["fraction_of_oracle"] for s in splits]
        fb = float(np.mean([s["scores"][policy]["fallback_rate"] for s in splits]))
        m, lo, hi = t_interval(per)
        summary[policy_name(policy, teacher)] = {"mean": m, "ci": [lo, hi], "fallback_rate": fb}
        print(f"{policy_name(policy, teacher):<40}{m:>18.3f}{f'[{lo:.3f}, {hi:.3f}]':>24}{fb:>10.1%}")
    pairs = [(p, "static") for p in splits[0]["scores"] if p not in ("static", "oracle", "default")]
    for a, b in pairs + [("fastpath.so", "rl")]:
        d = [s["scores"][a]["fraction_of_oracle"] - s["scores"][b]["fraction_of_oracle"] for s in splits]
        m, lo, hi = t_interval(d)
        summary[f"{policy_name(a, teacher)} - {b}"] = {"mean": m, "ci": [lo, hi]}
        print(f"{policy_name(a, teacher) + ' - ' + b:<50}{m:>+8.3f} [{lo:+.3f}, {hi:+.3f}] (paired over splits)")
    fid = [r for s in splits for r in s["fidelity"]]
    import pandas as pd

    table = (
        pd.DataFrame(fid)
        .groupby(["method", "depth"])[["fidelity", "near_fidelity", "value_ratio", "final", "teacher_final"]]
        .mean()
    )
    print("\ndistillation on held-out states (mean over splits):")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    summary["distillation"] = table.reset_index().to_dict(orient="records")
    fast = summary["fastpath.so"]["mean"]
    gain = summary["fastpath.so - static"]["mean"]
    if need is not None:
        print(f"LWO goal 1, fastpath.so - static >= {need:.3f}: {gain:+.3f} {'MET' if gain >= need else 'NOT MET'}")
    print(f"LWO goal 2, fastpath.so >= 95 % of the oracle: {fast:.3f} {'MET' if fast >= 0.95 else 'NOT MET'}")
    # `recorded` fits the measured values, not the teacher: its agreement and ratio are a yardstick, not goal 3
    ok = [
        (r["method"], r["depth"])
        for r in summary["distillation"]
        if r["method"] != "recorded" and (r["fidelity"] >= 0.95 or r["value_ratio"] >= 0.99)
    ]
    print(
        f"goal 3, >= 95 % agreement or >= 99 % of the teacher's value (held-out), students of the teacher: "
        f"met by {ok or 'none'}"
    )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--campaign", type=Path, default=None, help="campaign folder (built if it lacks fastpath.so)")
    parser.add_argument("--configfile", action="append", default=[], help="config overrides, as for snakemake")
    parser.add_argument("--zero-shot", type=int, default=15, help="generated workloads in the zero-shot set")
    parser.add_argument(
        "--zero-seed",
        type=int,
        action="append",
        default=None,
        help="their generator seed (repeat for several zero-shot sets; default 1001)",
    )
    parser.add_argument("--lwo", type=int, default=0, help="leave-workload-out splits to score (0: none)")
    parser.add_argument(
        "--student",
        type=parse_student,
        action="append",
        default=[],
        help="with --lwo: also score this tree setting, method:depth[:min_samples_leaf[:top_k]]",
    )
    parser.add_argument(
        "--fidelity-methods",
        nargs="+",
        default=None,
        help="with --lwo: the distillation methods whose held-out fidelity is measured (default: all)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write every figure to this JSON file")
    args = parser.parse_args()

    import pyarrow.parquet as pq
    from dpdktune.atomic import write_json
    from dpdktune.campaign.runner import run_inline
    from dpdktune.config import load_config
    from dpdktune.dataset import read_records
    from dpdktune.score import score

    campaign = (args.campaign or Path(tempfile.mkdtemp(prefix="phase2_score_"))).resolve()
    json_out = args.json.resolve() if args.json else None
    configfiles = [str(Path(f).resolve()) for f in args.configfile]
    built_s = None
    if not (campaign / "fastpath.so").exists() or not (campaign / "results/baselines/decision.json").exists():
        built_s = build(campaign, configfiles)
    config = load_config(*configfiles)
    decision = json.loads((campaign / "results/baselines/decision.json").read_text())
    tree = json.loads((campaign / "results/distill/tree.json").read_text())
    teacher = tree["inputs"].get("teacher", "cql/all").split("/")[0]
    need = decision["opportunity"] / 2 if decision["decision"] in ("GO", "MAYBE") else None

    zero_paths = {}
    for seed in args.zero_seed or [1001]:
        zero_config = load_config(
            *configfiles,
            # the set is itself zero-shot: it needs no zero-shot set of its own
            overrides={
                "workloads": {"generate": {"count": args.zero_shot, "seed": seed}},
                "report": {"zero_shot_workloads": 0},
            },
        )
        zero_paths[seed] = campaign / f"zero_shot_{args.zero_shot}_{seed}.parquet"
        if not zero_paths[seed].exists():
            records, _ = run_inline(zero_config, Path(tempfile.mkdtemp(prefix="zero_shot_")))
            pq.write_table(records, zero_paths[seed])

    os.chdir(campaign)
    report: dict = {
        "campaign": str(campaign),
        "objective": config["objective"],
        "decision": decision["decision"],
        "opportunity": decision["opportunity"],
        "best_baseline": decision.get("best_baseline"),
        "fallback": tree["fallback"],
        "setting": tree["inputs"],
    }
    print(f"campaign: {campaign}" + (f" (fastpath.so built in {built_s:.0f} s)" if built_s else ""))
    print(
        f"objective: {config['objective']}; features: {tree['feature_set']['name']}; "
        f"tree: {tree['inputs'].get('method')} depth {tree['inputs'].get('depth')}, teacher {teacher}"
    )
    print(
        f"Phase 1: {decision['decision']}, opportunity {decision['opportunity']:.1%} "
        f"(best baseline {decision.get('best_baseline')})"
    )
    print(
        f"safe default: {tree['fallback']['safe_default_config']}; novelty gate margin {tree['fallback']['margin']}"
        f", false fallbacks on {tree['fallback'].get('calibrated_on', 'held-out trials')} "
        f"{tree['fallback']['false_fallback_rate']:.3f}, "
        f"out-of-range caught {tree['fallback']['out_of_range_fallback_rate']}"
    )

    if args.lwo:
        records = read_records(Path("results/characterize/dataset.parquet"))
        result = lwo(campaign, records, config, teacher, args.lwo, args.student, args.fidelity_methods)
        report["lwo"] = print_lwo(result, teacher, need)
        report["lwo_splits"] = [
            {k: v for k, v in s.items() if k != "scores"}
            | {
                "scores": {
                    p: {k: r[k] for k in ("fraction_of_oracle", "fallback_rate", "per_workload", "configs_picked")}
                    for p, r in s["scores"].items()
                }
            }
            for s in result["splits"]
        ]

    rows = {}
    sets = [("campaign (in-sample)", "results/characterize/dataset.parquet")] + [
        (f"zero-shot seed {seed}", str(path)) for seed, path in zero_paths.items()
    ]
    for policy in POLICIES:
        name = "fastpath.so" if policy == "fastpath.so" else policy_name(policy, teacher)
        for label, dataset in sets:
            rows[(name, label)] = score(name, dataset, config)
    print(f"\n{'policy':<14}{'dataset':<22}{'fraction of oracle':>20}{'95 % CI':>20}{'fallback':>10}")
    for (policy, label), r in rows.items():
        print(
            f"{policy:<14}{label:<22}{r['fraction_of_oracle']:>20.3f}"
            f"{'[{:.3f}, {:.3f}]'.format(*r['ci']):>20}{r['fallback_rate']:>10.1%}"
        )
    report["sets"] = {
        f"{p} | {label}": {
            k: r[k] for k in ("fraction_of_oracle", "ci", "fallback_rate", "per_workload", "configs_picked")
        }
        for (p, label), r in rows.items()
    }
    for label, _ in sets[1:]:
        fast, static = rows[("fastpath.so", label)], rows[("static", label)]
        gain, lo, hi = paired_ci(fast["per_workload"], static["per_workload"], int(config["seed"]))
        report["sets"][f"fastpath.so - static | {label}"] = {"mean": gain, "ci": [lo, hi]}
        print(
            f"\n{label}, fastpath.so - static (paired over {len(fast['per_workload'])} workloads): "
            f"{gain:+.3f} [{lo:+.3f}, {hi:+.3f}]"
        )
        if need is not None:
            print(
                f"goal 1, beats static by >= half the opportunity ({need:.3f}): {'MET' if gain >= need else 'NOT MET'}"
            )
        else:
            verdict = "does not beat" if hi < decision["opportunity"] / 2 or gain <= 0 else "may beat"
            print(
                f"Phase 1 says {decision['decision']}: goal 1 does not apply; the data say the deployed policy "
                f"{verdict} the best static config by half the opportunity ({decision['opportunity'] / 2:.3f}) "
                f"on unseen workloads"
            )
        print(
            f"goal 2, fastpath.so >= 95 % of the oracle on unseen workloads: {fast['fraction_of_oracle']:.3f} "
            f"{'MET' if fast['fraction_of_oracle'] >= 0.95 else 'NOT MET'}"
        )
    if len(sets) > 2:  # the zero-shot sets pooled: one interval over all their workloads
        pooled = {
            policy: {
                f"{label} {w}": v for label, _ in sets[1:] for w, v in rows[(policy, label)]["per_workload"].items()
            }
            for policy in ("fastpath.so", "static")
        }
        gain, lo, hi = paired_ci(pooled["fastpath.so"], pooled["static"], int(config["seed"]))
        share = float(np.mean(list(pooled["fastpath.so"].values())))
        report["sets"]["fastpath.so - static | zero-shot pooled"] = {"mean": gain, "ci": [lo, hi], "share": share}
        print(
            f"\nzero-shot sets pooled, fastpath.so - static (paired over {len(pooled['static'])} workloads): "
            f"{gain:+.3f} [{lo:+.3f}, {hi:+.3f}]; fastpath.so {share:.3f} of the oracle"
        )
        if need is not None:
            print(f"goal 1 on the pooled sets (>= {need:.3f}): {'MET' if gain >= need else 'NOT MET'}")
    if json_out:
        write_json(report, json_out)


if __name__ == "__main__":
    main()
