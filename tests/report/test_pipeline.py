"""The validate/analyze/baselines rules through the real Snakemake on a tiny simulator campaign."""

import json

import pandas as pd
import pytest
import yaml
from snakemake_helpers import run_snakemake, workdir

#: 3 workloads x 4 configs x 2 trials, with injected run failures (deterministic per run seed).
TINY = {
    "workloads": ["flood64", "bursty", "imix"],
    "grid": {"rx_desc": [256, 1024], "tx_desc": [512], "cores": [1, 4], "burst": [32]},
    "trials": 2,
    "default_config": {"rx_desc": 1024, "tx_desc": 512, "cores": 4, "burst": 32},
    "baselines": {"split_repeats": 2, "bootstrap": 200},
    "sim": {"failure_prob": 0.2},
    "retry": {"attempts": 1},
}
PHASE1 = ["results/baselines/decision.json", "results/analyze/summary.json"]


@pytest.mark.slow
def test_phase1_rules_gate_and_rerun(tmp_path):
    work = workdir(tmp_path, TINY)
    result = run_snakemake(work, "--cores", "2", *PHASE1)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((work / "results/validate/summary.json").read_text())
    assert summary["counts"]["failed"] > 0 and not summary["passed"]
    decision = json.loads((work / "results/baselines/decision.json").read_text())
    assert decision["decision"] in ("GO", "MAYBE", "NO-GO")
    assert any("validation found errors" in r for r in decision["confidence_reasons"])
    for log in (
        "validate/validate_dataset",
        "analyze/analyze_landscape",
        "baselines/score_baselines",
        "baselines/analyze_gap",
    ):
        assert (work / f"results/logs/{log}.log").exists(), log
    dry = run_snakemake(work, "-n", "--cores", "1", "report.html")
    assert dry.returncode == 0 and "rule report" in dry.stdout + dry.stderr
    # report.html never builds Phase 2 on its own (auto: it joins once `snakemake distill` built it,
    # tests/distill/test_rules.py), unless forced
    wants_phase2 = {"auto": False, "always": True, "never": False}
    for mode, expected in wants_phase2.items():
        (work / "override.yaml").write_text(yaml.safe_dump(TINY | {"report": {"phase2": mode}}))
        dry = run_snakemake(work, "-n", "--cores", "1", "report.html")
        assert dry.returncode == 0, dry.stderr[-3000:]
        assert ("phase2_section" in dry.stdout) == expected, (mode, dry.stdout[-2000:])
    (work / "override.yaml").write_text(yaml.safe_dump(TINY))

    # the switch: the same findings now stop the pipeline at the gate, and the findings stay
    (work / "override.yaml").write_text(yaml.safe_dump(TINY | {"validate": {"fail_on_error": True}}))
    gated = run_snakemake(work, "--cores", "1", "--forcerun", "gate_validation", *PHASE1)
    assert gated.returncode != 0
    assert "validate.fail_on_error" in (work / "results/logs/validate/gate_validation.log").read_text()
    assert (work / "results/validate/summary.json").exists()

    rerun = run_snakemake(work, "--cores", "1", "rerun_failed")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    again = pd.read_parquet(work / "results/validate/rerun_records.parquet")
    issues = pd.read_parquet(work / "results/validate/issues.parquet")
    assert sorted(again.run_id) == sorted(issues[issues.check == "failed"].run_id)


#: The Phase 1 figures marked with report() in the rules, and their captions in report/.
REPORTED = {
    "results/analyze/figures/dynamic_range.png": "dynamic_range",
    "results/analyze/figures/heatmap_aggregate.png": "heatmap_aggregate",
    "results/analyze/figures/importance.png": "importance",
    "results/analyze/figures/knob_effects.png": "knob_effects",
    "results/analyze/figures/ndr.png": "ndr",
    "results/baselines/figures/gap.png": "gap",
    "results/baselines/figures/baselines_vs_oracle.png": "baselines_vs_oracle",
    "results/baselines/figures/learning_curve.png": "learning_curve",
}


@pytest.mark.slow
def test_snakemake_report_embeds_the_key_figures_with_their_captions(tmp_path):
    import base64

    from snakemake_helpers import REPO

    work = workdir(tmp_path, TINY | {"report": {"phase2": "never"}})
    built = run_snakemake(work, "--cores", "2", "report.html")
    assert built.returncode == 0, built.stderr[-3000:]
    made = run_snakemake(work, "--cores", "1", "--report", "snakemake-report.html", "report.html")
    assert made.returncode == 0 and "WARNING" not in made.stderr, made.stderr[-3000:]
    html = (work / "snakemake-report.html").read_text()
    assert (work / "report.html").exists()
    decoder = json.JSONDecoder()
    for path, caption in REPORTED.items():
        key = f'"{path}": '
        assert key in html, path
        entry, _ = decoder.raw_decode(html, html.index(key) + len(key))
        assert base64.b64decode(entry["data_uri"].split("base64,", 1)[1]) == (work / path).read_bytes(), path
        first_words = " ".join((REPO / "report" / f"{caption}.rst").read_text().split()[:6])
        assert first_words in " ".join(entry["caption"].split()), (path, entry["caption"])
