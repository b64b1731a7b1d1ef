"""Rule analyze_landscape: landscape tables, figures and summary (dpdktune.analysis.analyze.run)."""

from dpdktune.analysis.analyze import run
from dpdktune.dataset import dataset_provenance, read_measurements
from dpdktune.logs import rule_logging

with rule_logging(snakemake.log[0]):
    records = read_measurements(snakemake.input.dataset)
    run(records, snakemake.config, dict(snakemake.output.items()), dataset_provenance(snakemake.input.dataset))
