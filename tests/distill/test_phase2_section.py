import json

import pandas as pd
import pytest
from dpdktune.atomic import write_json, write_text
from dpdktune.distill import phase2_section as p2
from dpdktune.distill import pipeline
from dpdktune.distill.export import draw_top
from dpdktune.metrics.parquet import write_frame
from dpdktune.report.sections import load_section
from dpdktune.rl.summarize import baseline_format, summarize

TEST_PROVENANCE = {"backend": "sim", "seed": "0"}


def test_the_phase2_section_renders_through_the_report_extension_point(records, config, trained, tmp_path):
    scores, curves, summary = summarize(trained["scores"], trained["curves"], trained["timing"])
    decisions = baseline_format(records, config, trained["model_dir"])
    sweep = pipeline.run_sweep(records, config, summary, trained["model_dir"])
    out = pipeline.export(records, config, summary, trained["deployed_dir"], sweep, {})
    depth = pipeline.depth_table(sweep)
    comparison = p2.comparison(records, config, decisions, summary)
    assert {"Oracle", "RL-cql", "RL-ppo", "DT-5"} <= set(comparison.policy)
    oracle = comparison[comparison.policy == "Oracle"].iloc[0]
    assert oracle.score_vs_oracle == 1.0
    assert (comparison.ci_low <= comparison.score_vs_oracle + 1e-12).all()
    paired = comparison[comparison.policy == "RL-cql minus Static (best worst-case)"].iloc[
        0
    ]  # paired over the same splits
    first = comparison[comparison.decision == "one pick from the default-config fingerprint"].set_index("policy")
    assert paired.splits == 2 and paired.ci_low <= paired.score_vs_oracle <= paired.ci_high
    assert paired.score_vs_oracle == pytest.approx(
        first.loc["RL-cql", "score_vs_oracle"] - first.loc["Static (best worst-case)", "score_vs_oracle"]
    )
    paths = {
        "rl_summary": str(write_json(summary, tmp_path / "rl.json")),
        "distill_summary": str(write_json(out["summary"], tmp_path / "d.json")),
        "comparison": str(write_frame(comparison, tmp_path / "cmp.parquet", TEST_PROVENANCE)),
        "depth": str(write_frame(depth, tmp_path / "depth.parquet", TEST_PROVENANCE)),
        "rules_table": str(
            write_frame(p2.rules_frame("\n".join(out["rules"])), tmp_path / "rules.parquet", TEST_PROVENANCE)
        ),
        "latency": str(
            write_frame(p2.latency(summary, out["summary"], depth), tmp_path / "lat.parquet", TEST_PROVENANCE)
        ),
        "curves_figure": str(p2.curves_figure(curves, tmp_path / "curves.png")),
        "depth_figure": str(p2.depth_figure(depth, tmp_path / "depth.png")),
        "tree_figure": str(draw_top(out["table"], tmp_path / "top.svg")),
    }
    spec = p2.section_spec(
        summary,
        out["summary"],
        "\n".join(out["top"]),
        paths,
        config,
        "Phase 1 decided NO-GO for objective cores_at_slo (opportunity 8.0 %)",
    )
    section = load_section(write_text(json.dumps(spec), tmp_path / "section.json"))
    assert section["id"] == "phase2" and len(section["tables"]) == 4 and len(section["figures"]) == 3
    assert all(f["uri"].startswith("data:image/") for f in section["figures"])
    assert any("gplearn" in p for p in section["paragraphs"])
    gate = out["summary"]["fallback"]
    fallback = next(p for p in section["paragraphs"] if p.startswith("Fallback: "))
    assert f"false fallbacks {gate['false_fallback_rate']:.1%}" in fallback
    assert f"back {gate['out_of_range_fallback_rate']:.0%} of the time" in fallback
    assert {m["label"] for m in spec["metrics"]} >= {"False fallbacks (held-out)", "Out-of-range caught"}
    assert section["paragraphs"][0].startswith("Phase 1 decided NO-GO for objective cores_at_slo")
    rl_best = comparison[comparison.policy.str.startswith("RL-")].score_vs_oracle.max()
    base = comparison[~comparison.policy.str.startswith("RL-") & (comparison.policy != "Oracle")]
    versus = section["paragraphs"][1]
    assert f"{rl_best:.3f}" in versus and f"best baseline {base.loc[base.score_vs_oracle.idxmax()].policy}" in versus
    assert ("RL is behind" in versus) == (rl_best < base.score_vs_oracle.max())
    rules = pd.read_parquet(paths["rules_table"])
    assert rules.states.is_monotonic_decreasing


def _row(policy, score, lo, hi, splits=3, decision="one pick from the default-config fingerprint"):
    return {
        "policy": policy,
        "decision": decision,
        "splits": splits,
        "score_vs_oracle": score,
        "ci_low": lo,
        "ci_high": hi,
        "inference_us": None,
    }


@pytest.mark.parametrize(
    "rl_score, rl_lo, words",
    [
        (0.70, 0.65, "the best learner beats static"),
        (0.62, 0.50, "the best learner is ahead of, but not clearly better than, static"),
        (0.55, 0.45, "the best learner does not beat static"),
    ],
)
def test_the_section_says_plainly_whether_the_learner_beats_static(rl_score, rl_lo, words):
    comparison = pd.DataFrame(
        [
            _row(
                "fastpath.so (deployed, in-sample)",
                0.90,
                0.8,
                0.95,
                0,
                "fastpath.so (C, closed loop); fallback rate 0.0%",
            ),
            _row("Static (best worst-case, in-sample)", 0.57, 0.4, 0.7, 0),
            _row("Oracle", 1.0, 1.0, 1.0),
            _row("Rules", 0.66, 0.60, 0.72),
            _row("Static (best worst-case)", 0.58, 0.55, 0.61),
            _row("RL-cql", rl_score, rl_lo, rl_score + 0.05, decision="closed loop, settled config"),
            _row("RL-cql minus Rules", 0.9, 0.8, 1.0, decision="paired difference over splits"),
        ]
    )
    text = p2.rl_vs_baseline(comparison)
    assert "best baseline Rules 0.660" in text  # not the in-sample fastpath.so row, not a paired row
    assert f"best RL policy RL-cql {rl_score:.3f}" in text
    assert words in text
    assert "scores 0.900 against static's 0.570 on the workloads it was trained on (in-sample" in text


def test_the_deployed_tree_is_described_by_where_its_choices_come_from():
    assert p2.deployed_origin("viper", "cql/all") == "viper distilled from cql/all"
    recorded = p2.deployed_origin("recorded", "cql/all")
    assert "measured objective" in recorded and "not distilled" in recorded
    assert p2.leaf_words(0.12) == "12% of the training states"
    assert p2.leaf_words(5) == "5"


def test_the_fallback_paragraph_says_whether_the_gate_reached_its_target():
    gate = {
        "safe_default": "static config with the best worst case over the training workloads",
        "safe_default_config": {"rx_desc": 512, "tx_desc": 2048, "cores": 4, "burst": 32},
        "margin": 8.0,
        "calibrated_on": "held-out workloads",
        "target_false_fallback": 0.05,
        "held_out_states": 900,
        "false_fallback_rate": 0.19,
        "out_of_range_fallback_rate": 1.0,
    }
    text = p2.fallback_words(gate)
    assert "rx 512 / tx 2048 descriptors, 4 cores, burst 32" in text
    assert "calibrated on held-out workloads" in text and "19.0% on their 900 in-range states" in text
    assert "outside the other workloads' range" not in text
    assert "12.5% of the held-out workloads' states lie outside" in p2.fallback_words(
        {**gate, "held_out_out_of_range_share": 0.125}
    )
    assert "1 core, burst" in p2.fallback_words(
        {**gate, "safe_default_config": {**gate["safe_default_config"], "cores": 1}}
    )
    assert "(above the target 5%: no margin tried reached it" in text and "back 100% of the time" in text
    assert "(within the target 5%)" in p2.fallback_words({**gate, "false_fallback_rate": 0.02})
    untested = p2.fallback_words({**gate, "false_fallback_rate": None, "out_of_range_fallback_rate": None})
    assert "No trial was held out" in untested
    assert p2.gate_metrics({**gate, "false_fallback_rate": None}, "s.json") == []


@pytest.mark.parametrize(
    "bar, words", [(None, ""), (0.05, "is met"), (0.2, "is not met"), (0.09, "its lower bound is below the bar")]
)
def test_the_deployed_fast_path_on_held_out_workloads_is_stated_against_the_bar(bar, words):
    splits = pd.DataFrame(
        {
            "split": [0, 0, 1, 1, 2, 2],
            "policy": ["fastpath.so", "static"] * 3,
            "fraction_of_oracle": [0.70, 0.60, 0.80, 0.70, 0.75, 0.62],
            "fallback_rate": [0.1, 0.0, 0.3, 0.0, 0.2, 0.0],
            "test_workloads": [4] * 6,
        }
    )
    rows = p2.deployed_split_rows(splits)
    assert rows.policy.tolist() == [p2.DEPLOYED_HELD_OUT, p2.DEPLOYED_MINUS_STATIC]
    assert rows.score_vs_oracle.tolist() == pytest.approx([0.75, 0.11])
    assert (rows.splits == 3).all() and rows.decision.iloc[0].endswith("fallback rate 20.0%")
    text = p2.deployed_words(rows, bar)
    assert "scores 0.750" in text and "+0.110 against static" in text and "fallback rate 20.0%" in text
    assert (words in text) if words else "Phase 1's goal" not in text
    # the held-out rows are neither RL nor a baseline of the comparison
    rl, base = p2._held_out_rows(rows)
    assert rl.empty and base.empty
