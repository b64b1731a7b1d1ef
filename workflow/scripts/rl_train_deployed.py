"""Rule train_rl_deployed: one algorithm on every workload, the model fastpath.so deploys."""

from dpdktune.atomic import write_json
from dpdktune.dataset import read_records
from dpdktune.logs import rule_logging
from dpdktune.rl import experiment

with rule_logging(snakemake.log[0]) as log:
    algorithm = snakemake.wildcards.algorithm
    timing = experiment.run_deployed(
        algorithm,
        read_records(snakemake.input.dataset),
        snakemake.config,
        snakemake.output.model,
        threads=snakemake.threads,
    )
    write_json(timing, snakemake.output.timing)
    log.info("%s: deployed model trained in %.1f s", algorithm, timing["train_s"])
