"""Every Phase-1 stage run in-process on the shared small campaign (tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def stage_outputs(campaign, tmp_path_factory):
    """Every stage run in-process on the small campaign, laid out as under results/."""
    import json
    from pathlib import Path

    import pandas as pd
    import pyarrow as pa
    from dpdktune.analysis.analyze import output_paths
    from dpdktune.analysis.analyze import run as analyze
    from dpdktune.atomic import write_json
    from dpdktune.baselines.run import baseline_paths, gap_paths, run_baselines, run_gap
    from dpdktune.metrics.parquet import read_provenance, write_frame, write_table
    from dpdktune.metrics.schema import EXPERIMENT_SCHEMA
    from dpdktune.report.build import ReportInputs, files_under
    from dpdktune.validation.validate import validate

    config, records = campaign
    root = Path(tmp_path_factory.mktemp("results"))
    dataset = root / "characterize" / "dataset.parquet"
    write_table(
        pa.Table.from_pandas(records, preserve_index=False),
        dataset,
        EXPERIMENT_SCHEMA,
        {"backend": "sim", "backend_version": "test", "campaign": "small"},
    )
    manifest = root / "characterize" / "manifest.json"
    manifest.write_text(
        json.dumps({"campaign_id": "small-test", "expected_runs": len(records), "recorded_runs": len(records)})
    )
    prov = read_provenance(dataset)
    issues, groups, summary = validate(records, config, config["workloads"])
    write_frame(issues, root / "validate" / "issues.parquet", prov)
    write_frame(groups, root / "validate" / "groups.parquet", prov)
    write_json(summary, root / "validate" / "summary.json")
    analyze(records, config, output_paths(root / "analyze"), prov)
    from dpdktune import ndr

    table, ndr_summary = ndr.run(config, config["workloads"][:2], 1)
    write_frame(table, root / "analyze" / "ndr.parquet", prov)
    write_frame(ndr.best_by_cores(table), root / "analyze" / "ndr_best.parquet", prov)
    ndr.ndr_figure(ndr.best_by_cores(table), root / "analyze" / "figures" / "ndr.png", ndr_summary)
    write_json(ndr_summary, root / "analyze" / "ndr_summary.json")
    run_baselines(records, config, baseline_paths(root / "baselines"), prov)
    run_gap(
        pd.read_parquet(root / "baselines" / "scores.parquet"),
        pd.read_parquet(root / "baselines" / "fingerprints.parquet"),
        config,
        summary["passed"],
        gap_paths(root / "baselines"),
        prov,
    )
    return config, ReportInputs(files_under(root))


@pytest.fixture(scope="session")
def report_html(stage_outputs, tmp_path_factory):
    from dpdktune.report.build import write_report

    config, inputs = stage_outputs
    out = tmp_path_factory.mktemp("report") / "report.html"
    write_report(inputs, config, out)
    return out
