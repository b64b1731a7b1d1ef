"""Rule render_fastpath: tree.json -> results/codegen/fastpath_tree.c + tree.fpt (for fp_load)."""
from pathlib import Path

from dpdktune.codegen.build import generate
from dpdktune.codegen.tree_table import read_tree_json
from dpdktune.logs import rule_logging

with rule_logging(snakemake.log[0]) as log:
    files = generate(read_tree_json(snakemake.input.tree), Path(snakemake.output.source).parent,
                     walk=snakemake.params.walk)
    if (str(files["source"]), str(files["fpt"])) != (snakemake.output.source, snakemake.output.fpt):
        raise RuntimeError(f"codegen wrote {files}, rule expects {snakemake.output}")
    log.info("rendered %s and %s", files["source"], files["fpt"])
