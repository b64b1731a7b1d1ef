"""Rule evaluate_group: one group of Phase 3 runs (every policy, same traffic), one row per run."""

from dpdktune.atomic import replacing
from dpdktune.logs import rule_logging
from dpdktune.runtime.evaluate import run_group

with rule_logging(snakemake.log[0]):
    runs = run_group(
        snakemake.wildcards.group, snakemake.config, "results/evaluate", "config/scenarios", "results/evaluate/twin"
    )
    with replacing(snakemake.output.runs) as tmp:
        runs.to_parquet(tmp, index=False)
