"""Rule train_rl_part: one algorithm over its part of the LWO splits x training seeds (dpdktune.rl.experiment)."""

from dpdktune.atomic import write_json
from dpdktune.dataset import dataset_provenance, read_records
from dpdktune.logs import rule_logging
from dpdktune.metrics.parquet import write_frame
from dpdktune.rl import experiment

with rule_logging(snakemake.log[0]) as log:
    prov = dataset_provenance(snakemake.input.dataset)
    algorithm = snakemake.wildcards.algorithm
    scores, curves, timing = experiment.run(
        algorithm,
        read_records(snakemake.input.dataset),
        snakemake.config,
        snakemake.output.models,
        threads=snakemake.threads,
        part=int(snakemake.wildcards.part),
        parts=snakemake.params.parts,
    )
    write_frame(scores, snakemake.output.scores, prov)
    write_frame(curves, snakemake.output.curves, prov)
    write_json(timing, snakemake.output.timing)
    log.info(
        "%s part %s: test first %.3f final %.3f",
        algorithm,
        snakemake.wildcards.part,
        scores[scores.part == "test"]["first"].mean(),
        scores[scores.part == "test"]["final"].mean(),
    )
