"""Rule evaluate_twin: simulate every traffic cell the evaluation reads, once, into the shared cache."""

from dpdktune.atomic import write_json
from dpdktune.logs import rule_logging
from dpdktune.runtime.evaluate import prepare

with rule_logging(snakemake.log[0]):
    write_json(prepare(snakemake.config, "results/evaluate/twin"), snakemake.output.cells)
