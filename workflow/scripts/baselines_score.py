"""Rule score_baselines: leave-workload-out scores of every baseline (dpdktune.baselines.run)."""

from dpdktune.baselines.run import run_baselines
from dpdktune.dataset import dataset_provenance, read_measurements
from dpdktune.logs import rule_logging

with rule_logging(snakemake.log[0]):
    records = read_measurements(snakemake.input.dataset)
    run_baselines(
        records, snakemake.config, dict(snakemake.output.items()), dataset_provenance(snakemake.input.dataset)
    )
