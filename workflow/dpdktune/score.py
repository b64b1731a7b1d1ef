"""`dpdktune score`: one way to score any tuning policy on any campaign dataset.

    dpdktune score --policy P --dataset D [--configfile F]

prints one JSON object: policy, objective, fraction_of_oracle (mean over D's workloads of
achieved / best on D's grid), ci ([low, high], 95 % bootstrap over workloads), per_workload,
fallback_rate (0 for a policy without a fallback), and a few details.

P is a path to a fastpath.so, decided through the C library (ctypes) on the features the data
plane computes, closed loop; or one of `static` (the best static config by worst case, the
safe default's criterion), `rules`, `lookup`, `linear`, `tree` (the Phase-1 baselines),
`rl:<algo>` (the deployed all-workload RL model, closed loop), `oracle` or `default`.
Learned policies and `static` are fitted on the campaign in the current directory
(results/characterize/dataset.parquet and results/rl/deployed/); D may hold workloads none of
them saw, as long as its grid holds the configs the policies pick and observe.

How a decision is scored: each workload of D starts at the default config, in each recorded
trial. A baseline decides once from the default-config fingerprint (what it was fitted on);
a closed-loop policy (RL, the fast path) sees the features measured under the config it runs
now and decides again, `rl.eval_decisions` times. The config it holds at the end is scored by
D's mean objective there, divided by D's best config for that workload.
"""

from __future__ import annotations

import argparse
import ctypes
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dpdktune.sections import section

#: policy name -> baseline name in baselines.evaluate ("static" is its best worst-case static config)
BASELINE_NAMES = {"static": "STATIC_WORST", "rules": "Rules", "lookup": "Lookup", "linear": "Linear", "tree": "DT-5"}
POLICIES = ("static", "rules", "lookup", "linear", "tree", "rl:<algo>", "oracle", "default", "<path>/fastpath.so")
CAMPAIGN_DATASET = Path("results/characterize/dataset.parquet")
MODEL_DIR = Path("results/rl/deployed")
TREE_JSON = Path("results/distill/tree.json")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "score",
        help="score a policy (a fastpath.so, a baseline, RL) on a dataset",
        description="Score one policy on a campaign dataset as a fraction of each workload's oracle, and print one "
        "JSON object: policy, objective, fraction_of_oracle, ci, per_workload, fallback_rate.",
    )
    parser.add_argument("--policy", required=True, help=f"one of {', '.join(POLICIES)}")
    parser.add_argument("--dataset", required=True, help="a campaign dataset (Parquet file or partitioned folder)")
    parser.add_argument("--configfile", action="append", default=[], help="config overrides, as for snakemake")
    parser.add_argument("--campaign", default=".", help="folder of the campaign policies are fitted on (default: .)")
    parser.add_argument(
        "--tree",
        default=None,
        help="tree.json of a fastpath.so (default: results/distill/tree.json "
        "when it matches), to tell fallbacks from legitimate safe-default picks",
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from dpdktune.config import load_config

    config = load_config(*args.configfile)
    result = score(args.policy, args.dataset, config, campaign=args.campaign, tree=args.tree)
    print(json.dumps(result))
    return 0


def read_dataset(path: str | Path) -> pd.DataFrame:
    from dpdktune.dataset import read_records

    path = Path(path)
    if not path.exists():
        raise ValueError(f"--dataset: {path} does not exist")
    return read_records(path)


# -- policies --------------------------------------------------------------------------------


class FastPath:
    """A fastpath.so through ctypes: its feature names, config table and fp_decide."""

    def __init__(self, path: str | Path):
        try:
            self.lib = lib = ctypes.CDLL(str(Path(path).resolve()))
        except OSError as exc:
            raise ValueError(f"--policy: cannot load {path}: {exc}") from exc
        lib.fp_decide.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.fp_feature_name.restype = ctypes.c_char_p
        self.n_features = lib.fp_n_features()
        self.features = tuple(lib.fp_feature_name(i).decode() for i in range(self.n_features))
        n = lib.fp_n_configs()
        table = (ctypes.c_int32 * (4 * n)).in_dll(lib, "fp_configs")
        self.configs = [tuple(table[4 * i : 4 * i + 4]) for i in range(n)]
        self.safe_default = lib.fp_safe_default()

    def decide(self, X: np.ndarray) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float32)
        return np.array([self.lib.fp_decide(row.ctypes.data, self.n_features) for row in X], int)


def _baseline(name: str, campaign: pd.DataFrame, config: dict[str, Any]) -> Callable[[pd.DataFrame], np.ndarray]:
    from dpdktune.baselines.evaluate import STATIC_WORST, make_baselines, targets
    from dpdktune.fingerprint import fingerprints
    from dpdktune.objective import objective_table

    X = fingerprints(campaign, config)
    table = objective_table(campaign, config).loc[sorted(set(X.index.get_level_values("workload")))]
    model = make_baselines(config, table)[STATIC_WORST if name == "static" else BASELINE_NAMES[name]]
    return model.fit(X, targets(X, table)).predict


def _rl_model(algorithm: str, campaign_dir: Path, config: dict[str, Any]):
    from dpdktune.rl.experiment import ALL, load_model

    meta = campaign_dir / MODEL_DIR / algorithm / f"{ALL}.json"
    if not meta.exists():
        raise ValueError(
            f"--policy rl:{algorithm}: no deployed model at {meta} "
            f"(run `snakemake fastpath.so` or `snakemake rl` first)"
        )
    model, normalizer, _ = load_model(meta, section(config, "rl").device)
    return model, normalizer


def _tree_for(fp: FastPath, path: str | None, campaign_dir: Path) -> dict[str, Any] | None:
    from dpdktune.treefile import read_tree_json

    candidate = Path(path) if path else campaign_dir / TREE_JSON
    if not candidate.exists():
        if path:
            raise ValueError(f"--tree: {candidate} does not exist")
        return None
    table = read_tree_json(candidate)
    same = (
        tuple(table["features"]) == fp.features
        and table["safe_default"] == fp.safe_default
        and [tuple(c[k] for k in ("rx_desc", "tx_desc", "cores", "burst")) for c in table["configs"]] == fp.configs
    )
    if not same and path:
        raise ValueError(f"--tree: {candidate} is not the tree compiled into the fastpath.so")
    return table if same else None


# -- scoring ---------------------------------------------------------------------------------


def _closed_loop(
    decide: Callable[[np.ndarray], np.ndarray],
    land,
    decisions: int,
    fallback: Callable[[np.ndarray], np.ndarray] | None,
):
    """(final config per (workload, trial slot), fallback share over every decision made)."""
    n_w, _, n_s, _ = land.features.shape
    w = np.repeat(np.arange(n_w), n_s)
    s = np.tile(np.arange(n_s), n_w)
    start = ~np.all(np.isnan(land.features[w, land.default_action, s]), axis=1)  # trials that ran there
    w, s = w[start], s[start]
    current = np.full(len(w), land.default_action)
    falls = []
    for _ in range(decisions):
        X = land.features[w, current, s]
        if fallback is not None:
            falls.append(fallback(X))
        current = np.asarray(decide(X), int)
    share = float(np.mean(np.concatenate(falls))) if falls else 0.0
    return w, s, current, share


def bootstrap_ci(values: np.ndarray, seed: int, resamples: int = 2000) -> list[float]:
    """95 % percentile bootstrap interval of the mean, resampling workloads."""
    x = np.asarray(values, float)
    if len(x) < 2:
        return [float(x.mean()), float(x.mean())] if len(x) else [float("nan")] * 2
    rng = np.random.default_rng(seed)
    means = x[rng.integers(len(x), size=(resamples, len(x)))].mean(axis=1)
    return [float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))]


def score(
    policy: str,
    dataset: str | Path | pd.DataFrame,
    config: dict[str, Any],
    *,
    campaign: str | Path = ".",
    tree: str | None = None,
    campaign_records: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The score of `policy` on `dataset` (a path or its records), as `dpdktune score` prints it."""
    from dpdktune.dataset_arrays import Landscape
    from dpdktune.fingerprint import feature_names, fingerprints

    campaign_dir = Path(campaign)
    records = dataset if isinstance(dataset, pd.DataFrame) else read_dataset(dataset)
    decisions = section(config, "rl").eval_decisions

    def fitted_on() -> pd.DataFrame:
        if campaign_records is not None:
            return campaign_records
        path = campaign_dir / CAMPAIGN_DATASET
        if not path.exists() and not path.with_suffix("").is_dir():
            raise ValueError(
                f"--policy {policy}: fitted on the campaign in {campaign_dir.resolve()}, "
                f"but it has no {CAMPAIGN_DATASET} (run `snakemake` there first)"
            )
        return read_dataset(path if path.exists() else path.with_suffix(""))

    names = feature_names(config)
    fallback, fallback_kind = None, "none"
    if policy.endswith(".so") or "/" in policy:
        fp = FastPath(policy)
        names = fp.features
    land = Landscape.from_records(records, config, names)
    grid_index = {(k.rx_desc, k.tx_desc, k.cores, k.burst): i for i, k in enumerate(land.grid)}
    mean = np.nan_to_num(land.mean_objective(), nan=0.0)
    oracle = mean.max(axis=1)
    n_w, _, n_s, _ = land.features.shape

    if policy.endswith(".so") or "/" in policy:
        missing = [c for c in fp.configs if c not in grid_index]
        if missing:
            raise ValueError(f"--dataset: its grid lacks {len(missing)} configs of the fastpath.so, e.g. {missing[0]}")
        to_grid = np.array([grid_index[c] for c in fp.configs])
        table = _tree_for(fp, tree, campaign_dir)
        if table is not None:
            from dpdktune.distill.fallback import fallback_mask

            fallback, fallback_kind = (lambda X: fallback_mask(table, X)), "novel input or low-confidence leaf"
        else:
            fallback = lambda X: fp.decide(X) == fp.safe_default  # noqa: E731
            fallback_kind = "returned the safe default (no matching tree.json to tell why)"
        w, _, final, fallback_rate = _closed_loop(lambda X: to_grid[fp.decide(X)], land, decisions, fallback)
        kind = "fastpath.so (C, closed loop)"
    elif policy.startswith("rl:"):
        model, normalizer = _rl_model(policy[3:], campaign_dir, config)
        if len(normalizer.mean) != len(names):
            raise ValueError(
                f"--policy {policy}: the model reads {len(normalizer.mean)} features, the config's "
                f"feature set has {len(names)} (check the `features` key)"
            )
        w, _, final, fallback_rate = _closed_loop(
            lambda X: model.predict(normalizer.transform(X)), land, decisions, None
        )
        kind = "RL (closed loop)"
    elif policy in ("oracle", "default") or policy in BASELINE_NAMES:
        w = np.repeat(np.arange(n_w), n_s)
        fallback_rate = 0.0
        if policy == "oracle":
            final = np.argmax(mean, axis=1)[w]
        elif policy == "default":
            final = np.full(len(w), land.default_action)
        else:
            choose = _baseline(policy, fitted_on(), config)
            X = fingerprints(records, config)
            X = X[X.index.get_level_values("workload").isin(land.workloads)]
            w = np.array([land.workloads.index(n) for n in X.index.get_level_values("workload")], int)
            final = np.asarray(choose(X), int)
        kind = "one decision from the default-config fingerprint"
    else:
        raise ValueError(f"--policy: {policy!r} is not one of {', '.join(POLICIES)}")

    achieved = mean[w, final]
    frame = pd.DataFrame({"w": w, "fraction": achieved / np.where(oracle[w] > 0, oracle[w], np.nan)})
    frame = frame[np.isfinite(frame.fraction)]
    per = frame.groupby("w").fraction.mean()
    per_workload = {land.workloads[i]: float(v) for i, v in per.items()}
    unscored = sorted(set(land.workloads) - set(per_workload))
    values = np.array(list(per_workload.values()))
    return {
        "policy": policy,
        "objective": config["objective"],
        "fraction_of_oracle": float(values.mean()) if len(values) else float("nan"),
        "ci": bootstrap_ci(values, int(config["seed"])),
        "per_workload": per_workload,
        "fallback_rate": fallback_rate,
        "fallback": fallback_kind,
        "decision": kind,
        "decisions": decisions if kind.endswith("closed loop)") else 1,
        "features": list(names),
        "unscored_workloads": unscored,
        "configs_picked": {
            "{rx_desc}/{tx_desc}/{cores}/{burst}".format(**land.grid[i].as_dict()): int(n)
            for i, n in zip(*np.unique(final, return_counts=True))
        },
    }
