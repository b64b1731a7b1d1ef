"""What the distill rules run: the sweep over the RL splits' teachers, the deployed tree, and the deployed
setting rebuilt per split and scored on the split's held-out workloads."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dpdktune.dataset_arrays import Landscape
from dpdktune.distill.export import fit_deployed, leaf_agreement, rules_in_words, top_levels, tree_table
from dpdktune.distill.policy import Teacher, TreePolicy
from dpdktune.distill.settings import DistillSettings
from dpdktune.distill.sweep import select, setting_of, sweep_split
from dpdktune.rl.env import EnvSettings
from dpdktune.rl.evaluate import closed_loop, inference_us
from dpdktune.rl.experiment import ALL, load_model
from dpdktune.sections import section

log = logging.getLogger("dpdktune.distill")


def teacher_algorithm(ds: DistillSettings, rl_summary: dict[str, Any] | None) -> str:
    if ds.teacher != "auto":
        return ds.teacher
    best = (rl_summary or {}).get("best_q_algorithm")
    if not best:
        raise ValueError("distill.teacher: auto needs a Q-learning algorithm in rl.algorithms")
    return best


def _teacher(model_dir: Path, algorithm: str, tag: str, device: str) -> tuple[Teacher, dict]:
    meta_path = Path(model_dir) / algorithm / f"{tag}.json"
    if not meta_path.exists():
        raise FileNotFoundError(f"{meta_path}: no {algorithm} model for split {tag}; is it in rl.algorithms?")
    model, normalizer, meta = load_model(meta_path, device)
    return Teacher(model, normalizer, algorithm), meta


def run_sweep(
    records: pd.DataFrame,
    config: dict[str, Any],
    rl_summary: dict[str, Any] | None,
    model_dir: str | Path,
    part: int = 0,
    parts: int = 1,
) -> pd.DataFrame:
    """The sweep table over every LWO split the RL stage trained, or every `parts`-th split from
    `part` on (each split has its own seed: parts joined by `merge_sweep_parts` match one run).
    `rl_summary` is needed only for distill.teacher auto."""
    ds, rl = section(config, "distill"), section(config, "rl")
    env_settings = EnvSettings.from_settings(rl)
    algorithm = teacher_algorithm(ds, rl_summary)
    full = Landscape.from_records(records, config)
    frames = []
    start = time.perf_counter()
    splits = list(range(rl.split_repeats))[part::parts]
    for n, k in enumerate(splits):
        teacher, meta = _teacher(Path(model_dir), algorithm, str(k), rl.device)
        train, test = full.subset(full.scorable(meta["train"])), full.subset(full.scorable(meta["test"]))
        frame = sweep_split(teacher, train, test, env_settings, ds, rl.eval_decisions, ds.seed + k)
        frames.append(frame.assign(split=str(k), teacher=algorithm))
        elapsed = time.perf_counter() - start
        log.info(
            "distill sweep: %d/%d splits done in %.0f s; ETA %.0f s",
            n + 1,
            len(splits),
            elapsed,
            elapsed / (n + 1) * (len(splits) - n - 1),
        )
    return pd.concat(frames, ignore_index=True)


def deployed_setting(ds: DistillSettings, sweep: pd.DataFrame | None) -> dict[str, Any]:
    """`distill.deploy`, or under `auto` the sweep's best setting."""
    if ds.deploy != "auto":
        return setting_of(ds.deploy)
    if sweep is None:
        raise ValueError("distill.deploy: auto needs the distillation sweep")
    return select(sweep, ds.deploy_max_depth)


def score_table(
    table: dict[str, Any],
    where: Path,
    test_records: pd.DataFrame,
    train_records: pd.DataFrame,
    config: dict[str, Any],
) -> dict[str, Any]:
    """tree.json's dict compiled into `where`/fastpath.so and scored as it runs (`dpdktune score`)
    on `test_records`, with static and the fallback fitted on `train_records`."""
    from dpdktune.codegen.build import build_fastpath
    from dpdktune.score import score

    build_fastpath(table, where / "codegen", where / "fastpath.so", cc=section(config, "codegen").cc)
    return score(str(where / "fastpath.so"), test_records, config, campaign=where, campaign_records=train_records)


def score_deployed_splits(
    records: pd.DataFrame,
    config: dict[str, Any],
    rl_summary: dict[str, Any] | None,
    model_dir: str | Path,
    sweep: pd.DataFrame | None,
) -> pd.DataFrame:
    """The deployed fast path on traffic it never saw: per RL split, the deployed setting rebuilt
    from the split's teacher and training workloads (tree, novelty gate, compiled fastpath.so),
    then scored as it runs (`dpdktune score`, closed loop through the C library, fallbacks
    included) on the split's held-out workloads, beside the static config fitted on the same
    training workloads. One row per split and policy."""
    import tempfile

    from dpdktune.score import score

    ds, rl = section(config, "distill"), section(config, "rl")
    env_settings = EnvSettings.from_settings(rl)
    algorithm = teacher_algorithm(ds, rl_summary)
    setting = deployed_setting(ds, sweep)
    full = Landscape.from_records(records, config)
    rows = []
    with tempfile.TemporaryDirectory(prefix="deployed_splits_") as tmp:
        for k in range(rl.split_repeats):
            teacher, meta = _teacher(Path(model_dir), algorithm, str(k), rl.device)
            train = full.subset(full.scorable(meta["train"]))
            tree = fit_deployed(teacher, train, env_settings, ds, setting, rl.eval_decisions)
            table = tree_table(tree, teacher, train, ds, setting["method"], {"split": str(k)})
            where = Path(tmp) / str(k)
            train_records = records[records.workload.isin(meta["train"])]
            test_records = records[records.workload.isin(meta["test"])]
            for label, r in (
                ("fastpath.so", score_table(table, where, test_records, train_records, config)),
                ("static", score("static", test_records, config, campaign=where, campaign_records=train_records)),
            ):
                rows.append(
                    {
                        "split": k,
                        "policy": label,
                        "fraction_of_oracle": r["fraction_of_oracle"],
                        "fallback_rate": r["fallback_rate"],
                        "test_workloads": len(meta["test"]),
                    }
                )
            log.info(
                "deployed fast path, split %d: %.3f of the oracle (static %.3f)",
                k,
                *(r["fraction_of_oracle"] for r in rows[-2:]),
            )
    return pd.DataFrame(rows)


def merge_sweep_parts(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The sweep table of one `run_sweep` from its parts, in split order."""
    frame = pd.concat(parts, ignore_index=True)
    return frame.iloc[frame.split.astype(int).argsort(kind="stable")].reset_index(drop=True)


def export(
    records: pd.DataFrame,
    config: dict[str, Any],
    rl_summary: dict[str, Any] | None,
    deployed_dir: str | Path,
    sweep: pd.DataFrame | None,
    inputs: dict[str, str],
) -> dict[str, Any]:
    """The deployed tree: tree.json's dict, the fitted tree, rules in words and a summary.

    `deployed_dir` holds <algorithm>/all.json (rule train_rl_deployed). The RL summary is needed
    only for distill.teacher auto, the sweep only for distill.deploy auto."""
    ds, rl = section(config, "distill"), section(config, "rl")
    env_settings = EnvSettings.from_settings(rl)
    algorithm = teacher_algorithm(ds, rl_summary)
    setting = deployed_setting(ds, sweep)
    full = Landscape.from_records(records, config)
    full = full.subset(full.scorable())
    teacher, _ = _teacher(Path(deployed_dir), algorithm, ALL, rl.device)
    tree = fit_deployed(teacher, full, env_settings, ds, setting, rl.eval_decisions)
    table = tree_table(
        tree,
        teacher,
        full,
        ds,
        setting["method"],
        {**inputs, "teacher": f"{algorithm}/{ALL}", **{k: str(v) for k, v in setting.items()}},
    )
    X = teacher.normalizer.impute(full.all_feature_rows())
    student = TreePolicy(tree, teacher.normalizer)
    scores = closed_loop(student, full, teacher.normalizer, rl.eval_decisions, env_settings)
    leaves = [n for n in table["nodes"] if n["left"] == -1]
    total = sum(n["samples"] for n in leaves)
    summary = {
        "teacher": algorithm,
        # fixed at the source (coverage), never relabelled: how much of the data sits in unsure leaves
        "low_confidence_state_share": sum(n["samples"] for n in leaves if n["confidence"] < 0.6) / total,
        "largest_leaf": {k: max(leaves, key=lambda n: n["samples"])[k] for k in ("samples", "confidence")},
        "setting": setting,
        "fallback": table["fallback"],
        "nodes": int(tree.tree_.node_count),
        "fitted_depth": int(tree.get_depth()),
        "fidelity_all_states": float(np.mean(student.predict_raw(X) == teacher.act_raw(X))),
        "in_sample_first": float(scores["first"].mean()),
        "in_sample_final": float(scores["final"].mean()),
        "table_matches_sklearn": leaf_agreement(tree, table, X),
        "sklearn_predict_us": inference_us(student, teacher.normalizer.transform(X)),
        "teacher_predict_us": inference_us(teacher, teacher.normalizer.transform(X)),
    }
    return {"table": table, "tree": tree, "rules": rules_in_words(table), "top": top_levels(table), "summary": summary}


def depth_table(sweep: pd.DataFrame) -> pd.DataFrame:
    """Fidelity and performance vs depth per method (best leaf/top-K setting), mean over splits."""
    keys = ["method", "depth", "min_samples_leaf", "top_k"]
    cols = [
        c
        for c in ("fidelity", "near_fidelity", "final", "value_ratio", "teacher_final", "first", "nodes", "walk_ns")
        if c in sweep
    ]
    mean = sweep.groupby(keys, as_index=False)[cols].mean()
    best = mean.sort_values("fidelity", ascending=False).groupby(["method", "depth"], as_index=False).first()
    return best.sort_values(["method", "depth"]).reset_index(drop=True)
