"""Rule build_fastpath: generated tree + runtime -> fastpath.so (compiled to a temp name, renamed)."""
from dpdktune.codegen.build import RUNTIME, compile_c
from dpdktune.logs import rule_logging

with rule_logging(snakemake.log[0]) as log:
    compile_c([snakemake.input.source, RUNTIME], snakemake.output.library, cc=snakemake.params.cc)
    log.info("built %s", snakemake.output.library)
