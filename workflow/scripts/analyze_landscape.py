"""Rule analyze_landscape: landscape tables, figures and summary (dpdktune.analysis.analyze.run)."""
from pathlib import Path

from dpdktune.analysis.analyze import run
from dpdktune.logs import rule_logging
from dpdktune.metrics.parquet import read_provenance, read_table
from dpdktune.metrics.schema import EXPERIMENT_SCHEMA

with rule_logging(snakemake.log[0]):
    records = read_table(snakemake.input.dataset, EXPERIMENT_SCHEMA).to_pandas()
    run(records, snakemake.config, Path(snakemake.output.summary).parent, read_provenance(snakemake.input.dataset))
