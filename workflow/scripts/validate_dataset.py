"""Rule validate_dataset: checks of the merged dataset (dpdktune.validation.stage.run)."""

from dpdktune.logs import rule_logging
from dpdktune.validation.stage import run

with rule_logging(snakemake.log[0]):
    run(
        snakemake.input.dataset,
        snakemake.input.manifest,
        snakemake.config,
        list(snakemake.params.workloads),
        dict(snakemake.output.items()),
    )
