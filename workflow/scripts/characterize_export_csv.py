"""Rule export_csv: the dataset as one CSV (dpdktune.campaign.merge.export_csv)."""

from dpdktune.campaign.merge import export_csv
from dpdktune.logs import rule_logging

with rule_logging(snakemake.log[0]):
    export_csv(snakemake.input.dataset, snakemake.output.csv)
