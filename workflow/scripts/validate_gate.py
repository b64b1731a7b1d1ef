"""Rule gate_validation: stop the pipeline on validation errors if validate.fail_on_error is set."""

from dpdktune.logs import rule_logging
from dpdktune.validation.stage import gate

with rule_logging(snakemake.log[0]):
    gate(snakemake.input.summary, snakemake.config, snakemake.output.gate)
