"""Rule report: fill report.html from the stage outputs (dpdktune.report.build)."""

from dpdktune.logs import rule_logging
from dpdktune.report.build import ReportInputs, write_report

with rule_logging(snakemake.log[0]):
    files = {name: path for name, path in snakemake.input.items() if name != "sections"}
    inputs = ReportInputs(
        files=files,
        sections=tuple(snakemake.input.sections),
        phase2_note="" if snakemake.params.phase2["included"] else snakemake.params.phase2["why"],
    )
    write_report(inputs, snakemake.config, snakemake.output.html)
