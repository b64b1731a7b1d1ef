"""dpdktune score: one scorer for every policy, on the campaign or on workloads no policy saw."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest
from dpdktune import score as scoring
from dpdktune.objective import objective_table


def _table(records, config):
    return objective_table(records, config).fillna(0.0)


def test_oracle_default_and_static_follow_their_definitions(records, config):
    table = _table(records, config)
    rel = table.to_numpy() / table.to_numpy().max(axis=1, keepdims=True)
    oracle = scoring.score("oracle", records, config, campaign_records=records)
    assert oracle["fraction_of_oracle"] == 1.0 and oracle["fallback_rate"] == 0.0
    from dpdktune.fingerprint import default_knobs
    from dpdktune.knobs import expand_grid

    d = expand_grid(config["grid"]).index(default_knobs(config))
    default = scoring.score("default", records, config, campaign_records=records)
    assert default["per_workload"] == pytest.approx(dict(zip(table.index, rel[:, d])))
    static = scoring.score("static", records, config, campaign_records=records)
    best_worst = int(np.argmax(rel.min(axis=0)))
    assert static["fraction_of_oracle"] == pytest.approx(rel[:, best_worst].mean())
    assert static["ci"][0] <= static["fraction_of_oracle"] <= static["ci"][1]
    assert set(static) >= {"policy", "objective", "fraction_of_oracle", "ci", "per_workload", "fallback_rate"}


@pytest.mark.parametrize("policy", ["rules", "lookup", "linear", "tree"])
def test_baselines_are_fitted_on_the_campaign_and_scored_on_the_dataset(records, config, policy):
    out = scoring.score(policy, records, config, campaign_records=records)
    assert set(out["per_workload"]) == set(records.workload)
    assert 0 < out["fraction_of_oracle"] <= 1.0
    assert sum(out["configs_picked"].values()) == records[["workload", "trial"]].drop_duplicates().shape[0]


def test_bad_policy_and_missing_campaign_are_one_line_errors(records, config, tmp_path):
    with pytest.raises(ValueError, match="--policy: 'nope'"):
        scoring.score("nope", records, config, campaign_records=records)
    with pytest.raises(ValueError, match="has no results/characterize/dataset.parquet"):
        scoring.score("static", records, config, campaign=tmp_path)
    with pytest.raises(ValueError, match="no deployed model"):
        scoring.score("rl:cql", records, config, campaign=tmp_path)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dpdktune.cli",
            "score",
            "--policy",
            "static",
            "--dataset",
            str(tmp_path / "none.parquet"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--dataset" in proc.stderr


@pytest.mark.slow
def test_a_built_fastpath_so_is_scored_through_c_on_unseen_workloads(tmp_path):
    """The real `snakemake fastpath.so`, then `dpdktune score` on the campaign and on a zero-shot
    campaign of generated workloads; the C decisions equal the NumPy twin of the same tree."""
    from dpdktune.campaign.runner import run_inline
    from dpdktune.dataset_arrays import Landscape
    from dpdktune.treefile import read_tree_json
    from dpdktune.treelayout import compile_table, decide
    from rl_data import TINY, tiny_config
    from snakemake_helpers import run_snakemake, workdir

    work = workdir(tmp_path, TINY)
    done = run_snakemake(work, "--cores", "2", "fastpath.so", timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    zero_config = tiny_config(workloads={"generate": {"count": 4, "seed": 777}})
    zero, _ = run_inline(zero_config, tmp_path / "zero")
    pq.write_table(zero, tmp_path / "zero.parquet")

    def cli(policy, dataset):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "dpdktune.cli",
                "score",
                "--policy",
                policy,
                "--dataset",
                str(dataset),
                "--configfile",
                "override.yaml",
            ],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        return json.loads(proc.stdout)

    table = read_tree_json(work / "results/distill/tree.json")
    gate = table["fallback"]
    assert table["feature_set"]["name"] == "dataplane" and gate["out_of_range_fallback_rate"] == 1.0
    # where even a left-out workload's in-range states miss the target at every margin, the widest is kept
    assert gate["false_fallback_rate"] <= 0.05 or float(gate["margin"]) == max(map(float, gate["tried"]))
    for dataset in (work / "results/characterize/dataset.parquet", tmp_path / "zero.parquet"):
        fast = cli("fastpath.so", dataset)
        assert fast["features"] == table["features"]
        assert 0.0 <= fast["fallback_rate"] <= 1.0 and 0 < fast["fraction_of_oracle"] <= 1.0
        # the same closed loop through the NumPy twin of fp_decide gives the same score
        land = Landscape.from_records(scoring.read_dataset(dataset), zero_config, table["features"])
        twin = compile_table(table)
        w, s, final, _ = scoring._closed_loop(
            lambda X, twin=twin: decide(twin, X), land, zero_config["rl"]["eval_decisions"], None
        )
        mean = np.nan_to_num(land.mean_objective())
        expect = mean[w, final] / mean.max(axis=1)[w]
        per = {land.workloads[i]: expect[w == i].mean() for i in np.unique(w)}
        assert fast["per_workload"] == pytest.approx(per)
    static = cli("static", tmp_path / "zero.parquet")
    assert set(static["per_workload"]) == {w for w in set(zero.column("workload").to_pylist())}
    assert cli("rl:cql", tmp_path / "zero.parquet")["decision"] == "RL (closed loop)"
