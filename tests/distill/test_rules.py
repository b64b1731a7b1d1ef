"""The real Snakemake chain characterize -> rl -> distill on a tiny config."""

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from dpdktune.distill import zero_shot
from dpdktune.metrics.parquet import read_provenance
from dpdktune.report.sections import load_section
from dpdktune.treefile import read_tree_json
from rl_data import TINY, tiny_config
from snakemake_helpers import run_snakemake, workdir


@pytest.mark.slow
def test_snakemake_distill_builds_tree_json_and_the_phase2_section(tmp_path, monkeypatch):
    work = workdir(tmp_path, TINY)
    done = run_snakemake(work, "--cores", "2", "distill", "rl", timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    table = read_tree_json(work / "results/distill/tree.json")
    assert table["inputs"]["teacher"].endswith("/all")
    summary = json.loads((work / "results/rl/summary.json").read_text())
    assert {r["method"] for r in summary["lwo"]} == set(TINY["rl"]["algorithms"])
    curves = pd.read_parquet(work / "results/rl/learning_curves.parquet")
    assert set(curves.method) == set(TINY["rl"]["algorithms"])
    behaviour = json.loads((work / "results/rl/behaviour.json").read_text())
    assert behaviour["action_size"] == 8
    assert not (work / "d3rlpy_logs").exists()
    # every Parquet file the chain wrote carries the dataset's provenance
    dataset_prov = read_provenance(work / "results/characterize/dataset.parquet")
    for path in [*(work / "results/rl").rglob("*.parquet"), *(work / "results/distill").rglob("*.parquet")]:
        assert read_provenance(path) == dataset_prov, path
    monkeypatch.chdir(work)
    section = load_section(work / "results/distill/phase2_section.json")
    assert section["id"] == "phase2" and len(section["figures"]) == 3
    # the deployed setting rebuilt per RL split and scored on the split's held-out workloads
    held_out = pd.read_parquet(work / "results/distill/deployed_splits.parquet")
    assert sorted(held_out.split.unique()) == list(range(TINY["rl"]["split_repeats"]))
    assert any("rebuilt on each split's training workloads" in p for p in section["paragraphs"])
    # the deployed fastpath.so itself on workloads generated from another seed, simulated
    zero = pd.read_parquet(work / "results/zero_shot/dataset.parquet")
    assert zero.workload.nunique() == TINY["report"]["zero_shot_workloads"]
    assert not set(zero.workload) & set(TINY["workloads"])
    rows = pd.read_parquet(work / "results/distill/phase2_comparison.parquet").set_index("policy")
    fast, static = rows.loc["fastpath.so (deployed, zero-shot)"], rows.loc["Static (best worst-case, zero-shot)"]
    gain = rows.loc["fastpath.so (deployed, zero-shot) minus Static (best worst-case)"]
    assert gain.score_vs_oracle == pytest.approx(fast.score_vs_oracle - static.score_vs_oracle)
    assert gain.ci_low <= gain.score_vs_oracle <= gain.ci_high
    assert any(
        "3 new workloads, generated from seed 1001 and simulated, that no model saw" in p for p in section["paragraphs"]
    )
    # report.phase2: auto adds the built section to report.html on GO or MAYBE, and only then
    decision = json.loads((work / "results/baselines/decision.json").read_text())["decision"]
    plan = run_snakemake(work, "-n", "--cores", "1", "report.html")
    assert plan.returncode == 0, plan.stderr[-3000:]
    report_job = plan.stdout[plan.stdout.index("rule report:") :]
    assert ("results/distill/phase2_section.json" in report_job) == (decision != "NO-GO"), report_job[:2000]
    # a changed setting reruns the rules that read it and what depends on them, nothing else
    for change, reruns, keeps in (
        ({"rl": {"cql_alpha": 0.5}}, {"train_rl_deployed", "distill_tree", "build_fastpath"}, {"score_baselines"}),
        ({"distill": {"viper_iterations": 1}}, {"distill_tree", "build_fastpath"}, {"train_rl_deployed"}),
        ({"report": {"phase3": "never"}}, set(), {"train_rl_deployed", "distill_tree", "build_fastpath"}),
    ):
        (work / "override.yaml").write_text(
            yaml.safe_dump({**TINY, **{k: {**TINY.get(k, {}), **v} for k, v in change.items()}})
        )
        plan = run_snakemake(work, "-n", "--cores", "1", "fastpath.so")
        assert plan.returncode == 0, plan.stderr[-3000:]
        planned = {line.split()[1].rstrip(":") for line in plan.stdout.splitlines() if line.startswith("rule ")}
        assert reruns <= planned and not keeps & planned, (change, planned)
    # a new zero-shot seed simulates new workloads and rewrites the section, nothing the tree needs
    (work / "override.yaml").write_text(yaml.safe_dump({**TINY, "report": {**TINY["report"], "zero_shot_seed": 7}}))
    plan = run_snakemake(work, "-n", "--cores", "1", "results/distill/phase2_section.json")
    assert plan.returncode == 0, plan.stderr[-3000:]
    planned = {line.split()[1].rstrip(":") for line in plan.stdout.splitlines() if line.startswith("rule ")}
    assert planned == {"zero_shot_dataset", "phase2_section"}, planned
    # a dataset of other workloads measured on the same grid replaces the simulated set (any backend)
    other = work / "other.parquet"
    generated = tiny_config(report={"zero_shot_workloads": 2, "zero_shot_seed": 11})
    pq.write_table(zero_shot.simulate(generated, work / "other-run"), other)
    (work / "override.yaml").write_text(
        yaml.safe_dump({**TINY, "report": {**TINY["report"], "zero_shot_dataset": str(other)}})
    )
    done = run_snakemake(work, "--cores", "1", "results/distill/phase2_section.json")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "rule zero_shot_dataset" not in done.stdout + done.stderr
    rows = pd.read_parquet(work / "results/distill/phase2_comparison.parquet").set_index("policy")
    assert rows.loc["fastpath.so (deployed, zero-shot)"].decision.startswith(f"2 new workloads, measured in {other};")
    # the campaign's own dataset is not zero-shot: one line before any job, no traceback
    (work / "override.yaml").write_text(
        yaml.safe_dump({**TINY, "report": {"zero_shot_dataset": "results/characterize/dataset.parquet"}})
    )
    refused = run_snakemake(work, "-n", "--cores", "1", "results/distill/phase2_section.json")
    err = refused.stderr
    assert refused.returncode != 0 and "Traceback" not in err
    assert "dpdktune: report.zero_shot_dataset: workloads ['bursty', 'flood64'," in err, err[-2000:]


@pytest.mark.parametrize(
    "distill, wanted, unwanted",
    [
        ({}, {"train_rl_deployed": 1}, {"train_rl", "summarize_rl", "distill_sweep"}),
        ({"teacher": "auto", "deploy": "auto"}, {"train_rl_deployed": 4, "train_rl": 4, "distill_sweep": 1}, set()),
    ],
)
@pytest.mark.slow
def test_fastpath_so_trains_only_what_it_deploys(tmp_path, distill, wanted, unwanted):
    done = run_snakemake(workdir(tmp_path, {"distill": distill}), "-n", "--cores", "2", "fastpath.so")
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    counts = {
        line.split()[0]: int(line.split()[1])
        for line in out.splitlines()
        if len(line.split()) == 2 and line.split()[1].isdigit()
    }
    assert {k: counts.get(k) for k in wanted} == wanted
    assert not unwanted & set(counts)
    # rl.threads reach the RL rules (and through snakemake.threads, torch)
    (tmp_path / "t").mkdir()
    plan = run_snakemake(
        workdir(tmp_path / "t", {"distill": distill, "rl": {"threads": 2}}), "-n", "--cores", "2", "fastpath.so"
    )
    jobs = (plan.stdout + plan.stderr).split("rule ")
    assert any(j.startswith("train_rl_deployed:") and "threads: 2" in j for j in jobs), plan.stdout[-3000:]
