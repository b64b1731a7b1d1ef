"""Rule render_fastpath: tree.json -> results/codegen/fastpath_tree.c + tree.fpt (for fp_load)."""
from pathlib import Path

from dpdktune.codegen.build import generate
from dpdktune.treefile import read_tree_json
from dpdktune.logs import rule_logging
from dpdktune.baselines.gap import phase1_note

with rule_logging(snakemake.log[0]) as log:
    phase1, go = phase1_note(snakemake.input.decision)
    if not go:
        log.warning("building the fast path although %s", phase1)
    files = generate(read_tree_json(snakemake.input.tree), Path(snakemake.output.source).parent,
                     walk=snakemake.params.walk, phase1=phase1)
    if (str(files["source"]), str(files["fpt"])) != (snakemake.output.source, snakemake.output.fpt):
        raise RuntimeError(f"codegen wrote {files}, rule expects {snakemake.output}")
    log.info("rendered %s and %s", files["source"], files["fpt"])
