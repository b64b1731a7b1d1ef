import json

import pandas as pd
import pytest
from snakemake_helpers import run_snakemake, workdir

TINY_EVAL = {
    "workloads": ["imix", "kv", "web", "video"],
    "grid": {"rx_desc": [256, 1024], "tx_desc": [256, 1024], "cores": [1, 2, 4], "burst": [32]},
    "default_config": {"rx_desc": 1024, "tx_desc": 1024, "cores": 4, "burst": 32},
    "runtime": {
        "load_levels": [0.2, 1.0],
        "distill_every_s": 120.0,
        "checkpoint_every_s": 300.0,
        "eval_novel_workloads": ["video"],
        "eval_seeds": 1,
        "eval_static_s": 20.0,
        "eval_dynamic_s": 600.0,
        "eval_day_s": 1800.0,
    },
}


@pytest.mark.slow
def test_snakemake_evaluation_writes_the_phase3_section(tmp_path, monkeypatch):
    from dpdktune.report.sections import load_section

    work = workdir(tmp_path, TINY_EVAL)
    proc = run_snakemake(work, "--cores", "2", "evaluation", timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = work / "results" / "evaluate"
    spec = json.loads((out / "phase3_section.json").read_text())
    assert spec["id"] == "phase3" and len(spec["tables"]) == 7 and len(spec["figures"]) == 4
    for fig in spec["figures"]:
        assert (work / fig["path"]).stat().st_size > 1000
    static = pd.read_parquet(out / "table_static.parquet")
    assert set(static.workload) == set(TINY_EVAL["workloads"])
    assert set(static.policy) == {"adaptive", "fast-only", "static", "rules", "reactive", "oracle"}
    day = pd.read_parquet(out / "day.parquet")
    assert (day.duration_s == 1800).all()
    oracle = day.set_index("policy").fraction_of_oracle
    assert (oracle.drop("oracle") <= oracle["oracle"] + 0.02).all()  # only restart charges separate them
    novel = pd.read_parquet(out / "table_novel.parquet")
    assert set(novel.workload) == {"video"}
    ablations = pd.read_parquet(out / "table_ablations.parquet")
    from dpdktune.runtime.evaluate import ABLATIONS

    assert len(ablations) == len(ABLATIONS)
    headline = json.loads((out / "headline.json").read_text())
    assert 0 < headline["adaptive_fraction_of_oracle"] <= 1.0
    monkeypatch.chdir(work)  # the section names its files relative to the working directory
    loaded = load_section(out / "phase3_section.json")
    assert len(loaded["tables"]) == 7 and all(f["uri"].startswith("data:image/png") for f in loaded["figures"])
    again = run_snakemake(work, "--cores", "2", "evaluation", "-n")
    assert "Nothing to be done" in again.stdout + again.stderr
    # Snakemake's own report carries the four figures, each with its caption from report/
    made = run_snakemake(work, "--cores", "1", "--report", "snakemake-report.html", "evaluation")
    assert made.returncode == 0, made.stderr[-3000:]
    html = (work / "snakemake-report.html").read_text()
    for name in ("architecture", "adaptation_timeline", "regret", "overhead"):
        assert f'"results/evaluate/figures/{name}.png": {{' in html, name
    assert "Cumulative regret over the simulated day: the oracle" in html


@pytest.mark.slow
def test_the_report_asks_for_the_phase3_section_when_told_to(tmp_path):
    work = workdir(tmp_path, {**TINY_EVAL, "report": {"phase2": "never", "phase3": "always"}})
    proc = run_snakemake(work, "--cores", "1", "-n", "report", timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "evaluate_section" not in proc.stdout  # Phase 3 follows Phase 2 into the report
    (tmp_path / "b").mkdir()
    work2 = workdir(tmp_path / "b", {**TINY_EVAL, "report": {"phase2": "always", "phase3": "always"}})
    proc = run_snakemake(work2, "--cores", "1", "-n", "report", timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "evaluate_section" in proc.stdout
