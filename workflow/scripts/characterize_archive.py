"""Rule archive_campaign: a read-only copy under results/archive/<campaign-id>/."""

from dpdktune.atomic import write_json
from dpdktune.campaign.archive import archive_campaign
from dpdktune.logs import rule_logging

with rule_logging(snakemake.log[0]):
    files = [snakemake.input.dataset, snakemake.input.timeseries, snakemake.input.manifest]
    archive_campaign(snakemake.config, files, snakemake.params.journal_dir, snakemake.params.archive_dir)
    write_json(
        {"archive": snakemake.params.archive_dir, "files": [f.split("/")[-1] for f in files]}, snakemake.output.receipt
    )
