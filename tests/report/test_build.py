import base64
import dataclasses
import json
import re

import pandas as pd
import pytest
from dpdktune.analysis.analyze import FIGURES as ANALYSIS_FIGURES
from dpdktune.baselines.run import GAP_FIGURES
from dpdktune.report.build import data_source, validation_badge, write_report

N_FIGURES = len(ANALYSIS_FIGURES) + len(GAP_FIGURES) + 1  # + the NDR/PDR figure


def _images(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def test_report_is_self_contained_with_the_decision(report_html, stage_outputs):
    html = report_html.read_text()
    decision = json.loads(stage_outputs[1].files["decision"].read_text())
    assert re.search(rf'id="decision">{re.escape(decision["decision"])}<', html)
    images = _images(html)
    assert len(images) == N_FIGURES and all(img[:8] == b"\x89PNG\r\n\x1a\n" for img in images)
    assert not re.search(r'(src|href)="(?!data:|#)', html)  # nothing fetched from elsewhere


def test_report_numbers_match_their_parquet_sources(report_html, stage_outputs):
    html = report_html.read_text()
    _, inputs = stage_outputs
    aggs = pd.read_parquet(inputs.files["aggregates"])
    for row in aggs.itertuples():
        assert f"{100 * row.mean_gap:.1f} %" in html
    ranges = pd.read_parquet(inputs.files["dynamic_range"])
    for ratio in ranges.ratio:
        assert f"{ratio:.2f}" in html
    assert "results/" not in html or "Source:" in html
    assert html.count("Source: <code>") >= 10


def test_extra_section_is_rendered_from_its_spec(stage_outputs, tmp_path):
    config, inputs = stage_outputs
    pd.DataFrame({"policy": ["rl"], "gap": [0.04]}).to_parquet(tmp_path / "scores.parquet")
    png = inputs.files["penalty_figure"]
    spec = {
        "id": "phase2",
        "title": "Phase 2: learned policy",
        "paragraphs": ["RL closes the gap."],
        "metrics": [{"label": "RL gap", "value": "4.0 %", "source": "results/rl/summary.json"}],
        "tables": [{"caption": "RL scores", "source": str(tmp_path / "scores.parquet")}],
        "figures": [{"caption": "curve", "path": str(png)}],
    }
    (tmp_path / "section.json").write_text(json.dumps(spec))
    out = tmp_path / "report.html"
    write_report(dataclasses.replace(inputs, sections=(tmp_path / "section.json",)), config, out)
    html = out.read_text()
    assert 'id="phase2"' in html and "RL closes the gap." in html and "RL scores" in html
    assert len(_images(html)) == N_FIGURES + 1


def test_section_spec_without_a_title_is_rejected(tmp_path):
    from dpdktune.report.sections import load_section

    (tmp_path / "s.json").write_text(json.dumps({"id": "x"}))
    with pytest.raises(ValueError, match="'title'"):
        load_section(tmp_path / "s.json")


def test_summary_answers_the_configured_objective_with_one_row_per_objective(report_html, stage_outputs):
    config, inputs = stage_outputs
    html = report_html.read_text()
    decision = json.loads(inputs.files["decision"].read_text())
    assert decision["headline_objective"] == config["objective"]
    assert set(decision["objectives"]) == {config["objective"], *config["decision"]["objectives"]}
    table = re.search(r'<table id="objectives">(.*?)</table>', html, re.S).group(1)
    assert table.count("<tr") == 1 + len(decision["objectives"])
    for name, row in decision["objectives"].items():
        assert f"<code>{name}</code>" in table and f"{100 * row['opportunity']:.1f} %" in table
    assert ('id="scale"' in html) == (config["objective"] == "cores_at_slo")  # the scale is justified
    headline = re.search(r'id="headline">(.*?)</p>', html, re.S).group(1)
    assert config["objective"] in headline and decision["decision"] in headline
    banner = r'id="data-source">Simulated data — profile ' + re.escape(config["hardware"]) + ", not calibrated"
    assert re.search(banner, html)


@pytest.mark.parametrize(
    "summary, text, cls",
    [
        ({"passed": True, "errors": 0, "warnings": 0}, "passed", "ok"),
        ({"passed": True, "errors": 0, "warnings": 7}, "passed with 7 warnings", "warn"),
        ({"passed": False, "errors": 2, "warnings": 7}, "errors found (2)", "bad"),
    ],
)
def test_validation_badge_counts_warnings(summary, text, cls):
    assert validation_badge(summary) == {"cls": cls, "text": text}


def test_banner_names_the_measured_host_nic_and_dpdk():
    banner = data_source(
        {
            "backend": "ssh",
            "hardware": "xeon8180-xl710-40g",
            "host": "dut1",
            "host_cpu": "Xeon 8180",
            "host_nic": "XL710",
            "dpdk_version": "22.11",
        },
        {"backend": "ssh", "hardware": "x"},
    )
    assert banner["kind"] == "measured"
    assert banner["text"].startswith("Measured on dut1, Xeon 8180, XL710, DPDK 22.11")


def test_the_report_rule_declares_exactly_the_files_the_report_reads():
    import re
    from pathlib import Path

    from dpdktune.report.build import NDR_FILES, required_files

    rule = (Path(__file__).resolve().parents[2] / "rules" / "report.smk").read_text()
    block = re.search(r"\n    input:\n(.*?)\n    output:", rule, re.S).group(1)
    names = re.findall(r"^        (\w+)=", block, re.M)
    assert len(names) == len(set(names))
    assert set(names) == {*required_files(), *NDR_FILES, "sections"}


@pytest.mark.parametrize(
    ("left_out", "message"), [("cliffs", "missing cliffs"), ("ndr_best", "ndr_best missing beside")]
)
def test_report_inputs_name_a_missing_file(stage_outputs, left_out, message):
    from dpdktune.report.build import ReportInputs

    files = {name: path for name, path in stage_outputs[1].files.items() if name != left_out}
    with pytest.raises(ValueError, match=message):
        ReportInputs(files)
