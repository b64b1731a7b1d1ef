"""The distillation sweep: method x depth x min samples per leaf x top-K features, per LWO split.

Each split's student is distilled from that split's teacher on its training workloads, and
scored on the held-out workloads: fidelity (% agreement with the teacher on every recorded
state of the test workloads; `near_fidelity` also counts actions whose Q is within 5 % of the
teacher's Q range from the best), closed-loop performance vs the oracle and as a share of the
teacher's (`value_ratio`), node count, and the time
of a pure-Python walk of the flattened node table (the C fast path's times come from codegen).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from dpdktune.dataset_arrays import Landscape
from dpdktune.distill.bc import bc_data
from dpdktune.distill.extract import extract_data
from dpdktune.distill.fit import fit_tree, fit_value_tree, top_k
from dpdktune.distill.policy import Teacher, TreePolicy
from dpdktune.distill.settings import DistillSettings
from dpdktune.distill.value import recorded_values, value_data
from dpdktune.distill.viper import fit_viper
from dpdktune.rl.env import EnvSettings
from dpdktune.rl.evaluate import closed_loop


def walk_ns(tree, X: np.ndarray, repeats: int = 2000) -> float:
    """Mean ns per decision of a plain loop over the flattened node table (depth-proportional)."""
    t = tree.tree_
    left, right = t.children_left.tolist(), t.children_right.tolist()
    feature, threshold = t.feature.tolist(), t.threshold.tolist()
    rows = np.asarray(X, np.float32)[:repeats].tolist()
    for x in rows[:50]:  # warm-up: the first calls pay for list and branch caches
        i = 0
        while left[i] != -1:
            i = left[i] if x[feature[i]] <= threshold[i] else right[i]
    start = time.perf_counter()
    for x in rows:
        i = 0
        while left[i] != -1:
            i = left[i] if x[feature[i]] <= threshold[i] else right[i]
    return (time.perf_counter() - start) / max(1, len(rows)) * 1e9


def near_agreement(q: np.ndarray, actions: np.ndarray, tolerance: float = 0.05) -> float:
    """Fraction of states where the student's action is within `tolerance` of the teacher's Q range
    from the best Q: many configs tie on a flat landscape, so exact agreement understates fidelity.
    NaN for a teacher without Q-values."""
    if q.shape[1] == 1:
        return float("nan")
    best, worst = q.max(axis=1), q.min(axis=1)
    chosen = q[np.arange(len(q)), actions]
    return float(np.mean(chosen >= best - tolerance * (best - worst)))


def student_data(
    method: str, teacher: Teacher, train: Landscape, env_settings: EnvSettings, ds: DistillSettings, seed: int
):
    """(X, y, w) a non-iterative method trains on (VIPER makes its own)."""
    if method == "bc":
        return bc_data(teacher, train, env_settings, ds.bc_episodes, seed)
    if method == "extract":
        return extract_data(teacher, train, ds.extract_synthetic, seed)
    if method == "value":  # labels (argmax Q) for the top-K ranking; the fit reads the Q-values
        X, q = value_data(teacher, train, ds.extract_synthetic, seed)
        return X, q.argmax(axis=1), np.ones(len(X)), q
    if method == "recorded":
        X, v = recorded_values(train, teacher.normalizer)
        return X, v.argmax(axis=1), np.ones(len(X)), v
    raise ValueError(f"distill.methods: {method!r} has no fixed training set")


def fit_student(
    method: str,
    teacher: Teacher,
    train: Landscape,
    env_settings: EnvSettings,
    ds: DistillSettings,
    depth: int,
    leaf: int,
    k: int,
    decisions: int,
    seed: int,
    cache: dict,
):
    """One student tree for one setting; `cache` holds the data and masks shared across settings."""
    key = "bc" if method == "viper" else method  # VIPER's feature ranking uses the BC data
    if key not in cache:
        cache[key] = student_data(key, teacher, train, env_settings, ds, seed)
    X, y, w = cache[key][:3]
    if (key, k) not in cache:
        cache[(key, k)] = top_k(X, y, w, k, seed)
    mask = cache[(key, k)]
    if method == "viper":
        tree, _ = fit_viper(
            teacher,
            train,
            env_settings,
            depth,
            leaf,
            mask,
            ds.viper_iterations,
            ds.viper_episodes,
            decisions,
            seed,
            ds.viper_dense_states,
        )
        return tree
    if method in ("value", "recorded"):
        return fit_value_tree(X, cache[key][3], depth, leaf, mask, seed)
    return fit_tree(X, y, w, depth, leaf, mask, seed)


def sweep_split(
    teacher: Teacher,
    train: Landscape,
    test: Landscape,
    env_settings: EnvSettings,
    ds: DistillSettings,
    decisions: int,
    seed: int,
) -> pd.DataFrame:
    rows = []
    test_states = teacher.normalizer.impute(test.all_feature_rows())
    train_states = teacher.normalizer.impute(train.all_feature_rows())
    test_labels, train_labels = teacher.act_raw(test_states), teacher.act_raw(train_states)
    test_q = teacher.q_raw(test_states)
    cache: dict[Any, Any] = {}
    for method in ds.methods:
        for depth in ds.depths:
            for leaf in ds.min_samples_leaf:
                for k in ds.top_k_features:
                    tree = fit_student(method, teacher, train, env_settings, ds, depth, leaf, k, decisions, seed, cache)
                    student = TreePolicy(tree, teacher.normalizer)
                    scores = closed_loop(student, test, teacher.normalizer, decisions, env_settings)
                    rows.append(
                        {
                            "method": method,
                            "depth": depth,
                            "min_samples_leaf": leaf,
                            "top_k": k,
                            "fidelity": float(np.mean(student.predict_raw(test_states) == test_labels)),
                            "fidelity_train": float(np.mean(student.predict_raw(train_states) == train_labels)),
                            "near_fidelity": near_agreement(test_q, student.predict_raw(test_states)),
                            "first": float(scores["first"].mean()),
                            "final": float(scores["final"].mean()),
                            "reward": float(scores["reward"].mean()),
                            "nodes": int(tree.tree_.node_count),
                            "leaves": int(tree.get_n_leaves()),
                            "fitted_depth": int(tree.get_depth()),
                            "walk_ns": walk_ns(tree, test_states),
                        }
                    )
    teacher_scores = closed_loop(teacher, test, teacher.normalizer, decisions, env_settings)
    frame = pd.DataFrame(rows)
    frame["teacher_final"] = float(teacher_scores["final"].mean())
    # the student's closed-loop value on the held-out workloads as a share of the teacher's
    frame["value_ratio"] = frame["final"] / frame["teacher_final"] if frame["teacher_final"].iloc[0] > 0 else np.nan
    return frame


def select(sweep: pd.DataFrame, max_depth: int) -> dict[str, Any]:
    """The deployed setting: best mean LWO closed-loop score, then fidelity, then fewer nodes."""
    keys = ["method", "depth", "min_samples_leaf", "top_k"]
    mean = sweep.groupby(keys, as_index=False)[["final", "fidelity", "nodes"]].mean()
    allowed = mean[mean.depth <= max_depth]
    if allowed.empty:
        raise ValueError(f"distill.deploy_max_depth: {max_depth} is below every swept depth")
    best = allowed.sort_values(["final", "fidelity", "nodes"], ascending=[False, False, True]).iloc[0]
    return setting_of(best)


def setting_of(row) -> dict[str, Any]:
    """{method, depth, min_samples_leaf, top_k} as plain Python values (a leaf size below 1 is a share)."""
    leaf = float(row["min_samples_leaf"])
    return {
        "method": str(row["method"]),
        "depth": int(row["depth"]),
        "min_samples_leaf": leaf if leaf < 1 else int(leaf),
        "top_k": int(row["top_k"]),
    }
