import json
import re
from pathlib import Path

import pandas as pd
import pytest
from dpdktune.analysis.analyze import FIGURES, TABLES, analyze, output_paths, run
from dpdktune.baselines.run import baseline_paths, gap_paths

RULES = Path(__file__).resolve().parents[2] / "rules"


def declared_outputs(smk: str, rule: str) -> dict[str, str]:
    """The named outputs of `rule` as written in rules/<smk>."""
    text = (RULES / smk).read_text()
    block = re.search(rf"(?:rule|checkpoint) {rule}:.*?\n    output:\n(.*?)\n    \w+:", text, re.S).group(1)
    return dict(re.findall(r'^ {8}(\w+)=(?:report\(\n\s+)?"([^"]+)",$', block, re.M))


@pytest.mark.parametrize(
    ("smk", "rule", "paths"),
    [
        ("analyze.smk", "analyze_landscape", output_paths("results/analyze")),
        ("baselines.smk", "score_baselines", baseline_paths("results/baselines")),
        ("baselines.smk", "analyze_gap", gap_paths("results/baselines")),
    ],
)
def test_the_rule_declares_exactly_the_files_the_stage_writes(smk, rule, paths):
    assert declared_outputs(smk, rule) == {name: str(path) for name, path in paths.items()}


def test_run_writes_every_table_figure_and_summary(records, config, tmp_path):
    summary = run(records, config, output_paths(tmp_path), {"campaign": "test"})
    for name in TABLES:
        assert (tmp_path / f"{name}.parquet").exists(), name
    for name in FIGURES:
        data = (tmp_path / "figures" / f"{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
    assert json.loads((tmp_path / "summary.json").read_text())["workloads"] == 6 == summary["workloads"]
    ranges = pd.read_parquet(tmp_path / "dynamic_range.parquet")
    assert sum(summary["sensitivity_counts"].values()) == len(ranges) == 6


@pytest.mark.parametrize("objective", ["slo_goodput_per_core", "zero_loss_mpps", "p99_slo_mpps", "throughput_mpps"])
def test_every_objective_runs_through_analysis_and_baselines(records, config, objective, tmp_path):
    from dpdktune.baselines.run import run_baselines, run_gap

    config["objective"] = objective
    config["slo"]["p99_us"] = 50.0
    tables, summary = analyze(records, config)  # figures are covered above
    assert summary["objective"] == objective
    assert tables["penalty"].penalty.between(0, 1).all()
    run_baselines(records, config, baseline_paths(tmp_path / "b"), {"campaign": "test"})
    decision = run_gap(
        pd.read_parquet(tmp_path / "b" / "scores.parquet"),
        pd.read_parquet(tmp_path / "b" / "fingerprints.parquet"),
        config,
        True,
        gap_paths(tmp_path / "b"),
        {"campaign": "test"},
    )
    # the oracle is cross-fitted over trials, so on noisy trials a baseline can beat it (gap < 0)
    assert -1.0 <= decision["opportunity"] <= 1.0
    assert decision["headline_objective"] == objective and objective in decision["objectives"]
