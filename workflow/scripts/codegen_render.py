"""Rule render_fastpath: tree.json -> the generated C and tree.fpt (for fp_load)."""

from dpdktune.baselines.gap import phase1_note
from dpdktune.codegen.build import render_files
from dpdktune.logs import rule_logging
from dpdktune.treefile import read_tree_json

with rule_logging(snakemake.log[0]) as log:
    phase1, go = phase1_note(snakemake.input.decision)
    if not go:
        log.warning("building the fast path although %s", phase1)
    files = render_files(
        read_tree_json(snakemake.input.tree),
        snakemake.output.source,
        snakemake.output.fpt,
        walk=snakemake.params.walk,
        phase1=phase1,
    )
    log.info("rendered %s and %s", files["source"], files["fpt"])
