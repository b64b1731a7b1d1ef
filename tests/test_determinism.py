"""Same seed, same bytes: the chain sim campaign -> dataset -> validation -> baselines -> RL
teacher -> tree.json, run twice in separate directories, leaves identical Parquet and JSON.

The chain calls what the rule scripts call, in the order the rules run, with the same relative
paths (each run's working directory is its own temporary folder). Three columns are wall-clock
facts by design and left out of the comparison: `finished_at` and `duration_s` of each run
record, and `inference_us` (a measured prediction latency) of the baseline scores."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rl_data import tiny_config

#: Columns that hold wall-clock time by design (see the module docstring).
WALL_CLOCK = {"finished_at", "duration_s", "inference_us"}


def _chain(config: dict) -> None:
    import pandas as pd
    from dpdktune.baselines.run import baseline_paths, gap_paths, run_baselines, run_gap
    from dpdktune.campaign.merge import merge_batches
    from dpdktune.campaign.runner import run_batch
    from dpdktune.dataset import dataset_provenance, read_measurements, read_records
    from dpdktune.distill import pipeline
    from dpdktune.metrics.parquet import read_provenance
    from dpdktune.rl import experiment
    from dpdktune.treefile import write_tree_json
    from dpdktune.validation.stage import run as validate

    out = Path("results")
    char = out / "characterize"
    records, series = [], []
    for w in config["workloads"]:  # rule run_batch, one job per workload
        records.append(char / "batches" / f"{w}.parquet")
        series.append(char / "batches" / f"{w}.timeseries.parquet")
        run_batch(config, w, records[-1], series[-1], char / "journal" / f"{w}.jsonl", char / "locks")
    dataset = char / "dataset.parquet"
    merge_batches(
        config, records, series, dataset, char / "timeseries.parquet", char / "manifest.json", char / "journal"
    )
    checks = {
        **{k: out / "validate" / f"{k}.parquet" for k in ("issues", "groups", "rerun")},
        "summary": out / "validate" / "summary.json",
    }
    validate(dataset, char / "manifest.json", config, list(config["workloads"]), checks)
    scores = baseline_paths(out / "baselines")
    run_baselines(read_measurements(dataset), config, scores, dataset_provenance(dataset))
    run_gap(
        pd.read_parquet(scores["scores"]),
        pd.read_parquet(scores["fingerprints"]),
        config,
        json.loads(checks["summary"].read_text())["passed"],
        gap_paths(out / "baselines"),
        read_provenance(scores["scores"]),
    )
    experiment.run_deployed("cql", read_records(dataset), config, out / "rl" / "deployed" / "cql")
    tree = pipeline.export(
        read_records(dataset), config, None, out / "rl" / "deployed", None, {"dataset": str(dataset)}
    )
    write_tree_json(tree["table"], out / "distill" / "tree.json")


def _digest(path: Path) -> tuple[str, frozenset[str]]:
    """sha256 of the file's bytes; for a Parquet file with wall-clock columns, of the file
    rewritten without them (schema metadata kept). Also returns the columns left out."""
    if path.suffix != ".parquet":
        return hashlib.sha256(path.read_bytes()).hexdigest(), frozenset()
    table = pq.read_table(path)
    dropped = WALL_CLOCK & set(table.column_names)
    if not dropped:
        return hashlib.sha256(path.read_bytes()).hexdigest(), frozenset()
    sink = pa.BufferOutputStream()
    pq.write_table(table.drop_columns(sorted(dropped)), sink)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest(), frozenset(dropped)


def _artifacts(root: Path) -> dict[str, tuple[str, frozenset[str]]]:
    return {
        str(p.relative_to(root)): _digest(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix in (".parquet", ".json")
    }


@pytest.mark.slow
def test_the_same_seed_gives_byte_identical_artifacts(tmp_path, monkeypatch):
    config = tiny_config(
        rl={"algorithms": ["cql"]},
        distill={"teacher": "cql", "deploy": {"method": "extract", "depth": 4, "min_samples_leaf": 1, "top_k": 0}},
    )
    runs = []
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        monkeypatch.chdir(tmp_path / name)
        _chain(config)
        runs.append(_artifacts(tmp_path / name))
    first, second = runs
    assert first.keys() == second.keys()
    for key in (
        "results/characterize/dataset.parquet",
        "results/validate/summary.json",
        "results/baselines/decision.json",
        "results/baselines/models.json",
        "results/distill/tree.json",
    ):
        assert key in first, key
    assert len(first) >= 25
    differ = sorted(k for k in first if first[k][0] != second[k][0])
    assert differ == [], differ
    # the wall-clock exclusions cover only the run records and the baselines' latency columns
    dropped = {k: sorted(v[1]) for k, v in first.items() if v[1]}
    assert dropped["results/characterize/dataset.parquet"] == ["duration_s", "finished_at"]
    assert dropped["results/baselines/scores.parquet"] == ["inference_us"]
    assert all(k.startswith(("results/characterize/", "results/baselines/")) for k in dropped)
