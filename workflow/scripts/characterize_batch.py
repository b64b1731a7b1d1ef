"""Rule run_batch: one workload's experiments (dpdktune.campaign.runner.run_batch)."""

from dpdktune.campaign.runner import run_batch
from dpdktune.logs import rule_logging

with rule_logging(snakemake.log[0]):
    run_batch(
        snakemake.config,
        snakemake.wildcards.workload,
        records_out=snakemake.output.records,
        timeseries_out=snakemake.output.timeseries,
        journal_path=snakemake.params.journal,
        lock_dir=snakemake.params.lock_dir,
    )
