"""Rule evaluate_section: the Phase 3 tables, figures and report section."""

from dpdktune.logs import rule_logging
from dpdktune.runtime.phase3_section import build

with rule_logging(snakemake.log[0]):
    build(list(snakemake.input.groups), dict(snakemake.output.items()), snakemake.config)
