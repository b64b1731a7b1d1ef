"""Rule score_baselines: leave-workload-out scores of every baseline (dpdktune.baselines.run)."""
from pathlib import Path

from dpdktune.baselines.run import run_baselines
from dpdktune.logs import rule_logging
from dpdktune.metrics.parquet import read_provenance, read_table
from dpdktune.metrics.schema import EXPERIMENT_SCHEMA

with rule_logging(snakemake.log[0]):
    records = read_table(snakemake.input.dataset, EXPERIMENT_SCHEMA).to_pandas()
    run_baselines(records, snakemake.config, Path(snakemake.output.scores).parent, read_provenance(snakemake.input.dataset))
