"""Rule merge_dataset: batches -> dataset, time series, manifest (dpdktune.campaign.merge)."""

from dpdktune.campaign.merge import merge_batches
from dpdktune.logs import rule_logging

with rule_logging(snakemake.log[0]) as log:
    summary = merge_batches(
        snakemake.config,
        snakemake.input.records,
        snakemake.input.timeseries,
        dataset_out=snakemake.output.dataset,
        timeseries_out=snakemake.output.timeseries,
        manifest_out=snakemake.output.manifest,
        journal_dir=snakemake.params.journal_dir,
    )
    log.info(
        "campaign %s: %d/%d runs done, %d failed",
        summary["campaign_id"],
        summary["done_runs"],
        summary["expected_runs"],
        summary["failed_runs"],
    )
