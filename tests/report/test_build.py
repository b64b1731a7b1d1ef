import base64
import dataclasses
import json
import re

import pandas as pd
import pytest

from dpdktune.report.build import write_report


def _images(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def test_report_is_self_contained_with_the_decision(report_html, stage_outputs):
    html = report_html.read_text()
    decision = json.loads((stage_outputs[1].baselines_dir / "decision.json").read_text())
    assert re.search(rf'id="decision">{re.escape(decision["decision"])}<', html)
    images = _images(html)
    assert len(images) == 7 and all(img[:8] == b"\x89PNG\r\n\x1a\n" for img in images)
    assert not re.search(r'(src|href)="(?!data:|#)', html)  # nothing fetched from elsewhere


def test_report_numbers_match_their_parquet_sources(report_html, stage_outputs):
    html = report_html.read_text()
    _, inputs = stage_outputs
    aggs = pd.read_parquet(inputs.baselines_dir / "aggregates.parquet")
    for row in aggs.itertuples():
        assert f"{100 * row.mean_gap:.1f} %" in html
    ranges = pd.read_parquet(inputs.analyze_dir / "dynamic_range.parquet")
    for ratio in ranges.ratio:
        assert f"{ratio:.2f}" in html
    assert "results/" not in html or "Source:" in html
    assert html.count("Source: <code>") >= 10


def test_extra_section_is_rendered_from_its_spec(stage_outputs, tmp_path):
    config, inputs = stage_outputs
    pd.DataFrame({"policy": ["rl"], "gap": [0.04]}).to_parquet(tmp_path / "scores.parquet")
    png = inputs.analyze_dir / "figures" / "penalty.png"
    spec = {"id": "phase2", "title": "Phase 2: learned policy", "paragraphs": ["RL closes the gap."],
            "metrics": [{"label": "RL gap", "value": "4.0 %", "source": "results/rl/summary.json"}],
            "tables": [{"caption": "RL scores", "source": str(tmp_path / "scores.parquet")}],
            "figures": [{"caption": "curve", "path": str(png)}]}
    (tmp_path / "section.json").write_text(json.dumps(spec))
    out = tmp_path / "report.html"
    write_report(dataclasses.replace(inputs, sections=(tmp_path / "section.json",)), config, out)
    html = out.read_text()
    assert 'id="phase2"' in html and "RL closes the gap." in html and "RL scores" in html
    assert len(_images(html)) == 8


def test_section_spec_without_a_title_is_rejected(tmp_path):
    from dpdktune.report.sections import load_section

    (tmp_path / "s.json").write_text(json.dumps({"id": "x"}))
    with pytest.raises(ValueError, match="'title'"):
        load_section(tmp_path / "s.json")
