"""A tiny real campaign from the simulator, shared by the rl and distill tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from dpdktune.config import load_config

TEST_PROVENANCE = {"backend": "sim", "seed": "0"}

TINY = {
    "workloads": ["flood64", "large1500", "bursty", "lowrate", "imix", "rpc"],
    "grid": {"rx_desc": [256, 1024], "tx_desc": [256, 1024], "cores": [1, 4], "burst": [32]},
    "trials": 2,
    "default_config": {"rx_desc": 1024, "tx_desc": 1024, "cores": 4, "burst": 32},
    "baselines": {"split_repeats": 2, "test_fraction": 0.34},
    "rl": {
        "device": "cpu",
        "offline_steps": 40,
        "online_steps": 64,
        "eval_every": 20,
        "eval_decisions": 3,
        "split_repeats": 2,
        "seeds": 1,
        "dataset_episodes": 3,
        "episode_steps": 100,
        "workload_change_every": 30,
        "batch_size": 16,
        "hidden": [16],
        "algorithms": ["cql", "double_dqn", "ppo"],
    },
    "distill": {
        "depths": [2, 4],
        "min_samples_leaf": [1],
        "top_k_features": [2, 0],
        "bc_episodes": 1,
        "viper_iterations": 2,
        "viper_episodes": 1,
        "extract_synthetic": 200,
        "deploy_max_depth": 4,
        "teacher": "auto",
        "deploy": "auto",
    },
    "report": {"zero_shot_workloads": 3},
}


def tiny_config(**overrides) -> dict:
    from dpdktune.config import deep_merge

    return load_config(overrides=deep_merge(TINY, overrides))


def tiny_records(config: dict, workdir: Path) -> pd.DataFrame:
    """Records of a real in-process simulator campaign, as the RL stage reads them."""
    from dpdktune.campaign.runner import run_inline
    from dpdktune.dataset import RECORD_COLUMNS

    records, _ = run_inline(config, workdir)
    return records.select(list(RECORD_COLUMNS)).to_pandas()


def train_all(config: dict, records: pd.DataFrame, out: Path) -> dict:
    """Run every configured algorithm as the train_rl and train_rl_deployed rules do; returns the
    summarize inputs and the deployed models' folder."""
    from dpdktune.atomic import write_json
    from dpdktune.metrics.parquet import write_frame
    from dpdktune.rl import experiment

    paths = {"scores": [], "curves": [], "timing": [], "model_dir": out / "models", "deployed_dir": out / "deployed"}
    for algorithm in config["rl"]["algorithms"]:
        experiment.run_deployed(algorithm, records, config, out / "deployed" / algorithm)
        scores, curves, timing = experiment.run(algorithm, records, config, out / "models" / algorithm)
        paths["scores"].append(write_frame(scores, out / algorithm / "scores.parquet", TEST_PROVENANCE))
        paths["curves"].append(write_frame(curves, out / algorithm / "curves.parquet", TEST_PROVENANCE))
        paths["timing"].append(write_json(timing, out / algorithm / "timing.json"))
    return paths
