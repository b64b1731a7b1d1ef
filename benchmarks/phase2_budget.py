"""Does Phase 2 gain from a larger data budget? Two ablations on one campaign's LWO splits.

    python benchmarks/phase2_budget.py --campaign DIR [--configfile F] [--lwo 10]
        [--rl-budget 60x1000 400x4000 ...] [--viper-states 0 20000 ...] [--json OUT]

DIR is a characterized campaign (`snakemake characterize results/baselines/decision.json` run in it,
e.g. by `benchmarks/phase2_score.py`). Per leave-workload-out split (the first K of the baselines'
splits), trained on the split's training workloads and scored on its held-out ones:

1. `--rl-budget EPISODESxSTEPS`: the CQL teacher with `rl.dataset_episodes` replayed episodes and
   `rl.offline_steps` gradient steps, scored closed loop by `dpdktune score` (share of the oracle),
   beside static and Rules. The default dataset (60 episodes of 200 steps) does not grow with the
   campaign: with 35 training workloads each gets about 1.4 epsilon-oracle segments.
2. `--viper-states N`: the deployed tree setting (VIPER, `distill.deploy`) distilled from the first
   budget's teacher with `distill.viper_dense_states: N` (N of extract's states between recorded
   ones, labelled by the teacher, in VIPER's first aggregate; 0 = recorded states only); goal 3's
   measures on the held-out states: agreement with the teacher, agreement within 5 % of its Q
   range, and the closed-loop value ratio student / teacher.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))


def parse_budget(text: str) -> tuple[int, int]:
    episodes, steps = text.lower().split("x")
    return int(episodes), int(steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--campaign", type=Path, required=True, help="a characterized campaign folder")
    parser.add_argument("--configfile", action="append", default=[], help="config overrides, as for snakemake")
    parser.add_argument("--lwo", type=int, default=10, help="leave-workload-out splits")
    parser.add_argument("--rl-budget", type=parse_budget, nargs="+", default=[(60, 1000), (400, 4000)])
    parser.add_argument("--viper-states", type=int, nargs="+", default=[0, 20000])
    parser.add_argument("--json", type=Path, default=None, help="also write every split's figures here")
    args = parser.parse_args()

    from dpdktune.config import load_config
    from dpdktune.dataset import read_records
    from dpdktune.dataset_arrays import Landscape
    from dpdktune.distill.export import fit_deployed
    from dpdktune.distill.policy import Teacher, TreePolicy
    from dpdktune.distill.settings import DistillSettings
    from dpdktune.distill.sweep import near_agreement
    from dpdktune.rl.env import EnvSettings
    from dpdktune.rl.evaluate import closed_loop
    from dpdktune.rl.experiment import ALL, load_model, lwo_splits, save_model, train_one
    from dpdktune.rl.settings import RLSettings
    from dpdktune.score import score
    from phase2_score import deployed_setting  # this script's folder is on sys.path

    configfiles = [str(Path(f).resolve()) for f in args.configfile]
    campaign = args.campaign.resolve()
    json_out = args.json.resolve() if args.json else None
    os.chdir(campaign)
    config = load_config(*configfiles)
    records = read_records(Path("results/characterize/dataset.parquet"))
    rl = RLSettings.from_config(config.get("rl", {}))
    env = EnvSettings.from_config(config.get("rl", {}))
    ds = DistillSettings.from_config(config.get("distill", {}))
    setting = deployed_setting(ds)
    full = Landscape.from_records(records, config)
    budget_rows, viper_rows = [], []
    for k, (train_names, test_names) in enumerate(lwo_splits(config, full.workloads, args.lwo)):
        train, test = full.subset(full.scorable(train_names)), full.subset(full.scorable(test_names))
        train_rec, test_rec = (records[records.workload.isin(n)] for n in (train_names, test_names))
        row = {"split": k}
        for policy in ("static", "rules"):
            where = campaign / "budget" / "baselines" / str(k)
            row[policy] = score(policy, test_rec, config, campaign=where, campaign_records=train_rec)[
                "fraction_of_oracle"
            ]
        teachers = {}
        for episodes, steps in args.rl_budget:
            name = f"{episodes}x{steps}"
            where = campaign / "budget" / name / str(k)
            model_dir = where / "results/rl/deployed/cql"
            if not (model_dir / f"{ALL}.json").exists():
                budget = replace(rl, dataset_episodes=episodes, offline_steps=steps, eval_every=steps)
                model, normalizer, _, _ = train_one("cql", config, train, None, budget, env, rl.seed + k)
                save_model("cql", model, normalizer, {"split": str(k), "train": train_names}, model_dir, ALL)
            model, normalizer, _ = load_model(model_dir / f"{ALL}.json", rl.device)
            teachers[name] = Teacher(model, normalizer, "cql")
            row[name] = score("rl:cql", test_rec, config, campaign=where, campaign_records=train_rec)[
                "fraction_of_oracle"
            ]
        budget_rows.append(row)
        print(f"split {k}: " + ", ".join(f"{a} {b:.3f}" for a, b in row.items() if a != "split"), flush=True)

        teacher = teachers[f"{args.rl_budget[0][0]}x{args.rl_budget[0][1]}"]
        held = teacher.normalizer.impute(test.all_feature_rows())
        labels, q = teacher.act_raw(held), teacher.q_raw(held)
        teacher_final = float(closed_loop(teacher, test, teacher.normalizer, rl.eval_decisions, env)["final"].mean())
        for n in args.viper_states:
            tree = fit_deployed(teacher, train, env, replace(ds, viper_dense_states=n), setting, rl.eval_decisions)
            student = TreePolicy(tree, teacher.normalizer)
            final = float(closed_loop(student, test, teacher.normalizer, rl.eval_decisions, env)["final"].mean())
            actions = student.predict_raw(held)
            viper_rows.append(
                {
                    "split": k,
                    "dense_states": n,
                    "agreement": float(np.mean(actions == labels)),
                    "near_agreement": near_agreement(q, actions),
                    "value_ratio": final / teacher_final if teacher_final > 0 else float("nan"),
                    "nodes": int(tree.tree_.node_count),
                }
            )

    budget = pd.DataFrame(budget_rows)
    print("\nteacher budget (share of the oracle on held-out workloads; minus static paired over splits)")
    for column in budget.columns[1:]:
        diff = budget[column] - budget["static"]
        print(f"{column:<14}{budget[column].mean():>8.3f}{diff.mean():>+9.3f}")
    viper = pd.DataFrame(viper_rows)
    print(f"\nVIPER ({setting['method']} depth {setting['depth']}) seeded with dense states, held-out states")
    print(f"{'dense states':<14}{'agreement':>10}{'within 5 %':>12}{'value ratio':>13}{'>= 0.99':>9}{'nodes':>7}")
    for n, group in viper.groupby("dense_states"):
        print(
            f"{n:<14}{group.agreement.mean():>10.3f}{group.near_agreement.mean():>12.3f}"
            f"{group.value_ratio.mean():>13.3f}{f'{(group.value_ratio >= 0.99).sum()}/{len(group)}':>9}"
            f"{group.nodes.mean():>7.0f}"
        )
    if json_out:
        json_out.write_text(json.dumps({"budget": budget_rows, "viper": viper_rows}, indent=1))


if __name__ == "__main__":
    main()
