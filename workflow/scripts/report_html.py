"""Rule report: fill report.html from the stage outputs (dpdktune.report.build)."""
from pathlib import Path

from dpdktune.logs import rule_logging
from dpdktune.report.build import ReportInputs, write_report

with rule_logging(snakemake.log[0]):
    i = snakemake.input
    inputs = ReportInputs(
        dataset=Path(i.dataset), manifest=Path(i.manifest), validate_dir=Path(i.validation).parent,
        analyze_dir=Path(i.analysis).parent, baselines_dir=Path(i.decision).parent,
        sections=tuple(Path(p) for p in i.sections),
        phase2_note="" if snakemake.params.phase2["included"] else snakemake.params.phase2["why"],
    )
    write_report(inputs, snakemake.config, snakemake.output.html)
