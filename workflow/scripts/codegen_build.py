"""Rule build_fastpath: generated tree + runtime -> fastpath.so (compiled to a temp name, renamed)."""

from pathlib import Path

from dpdktune.codegen.build import compile_c
from dpdktune.logs import rule_logging

with rule_logging(snakemake.log[0]) as log:
    compile_c(
        [snakemake.input.source, snakemake.input.runtime],
        snakemake.output.library,
        cc=snakemake.params.cc,
        include=Path(snakemake.input.runtime).parent,
    )
    log.info("built %s", snakemake.output.library)
