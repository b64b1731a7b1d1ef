"""Rule distill_tree: the deployed tree -> results/distill/tree.json (codegen's from_sklearn)."""

import json

import pandas as pd
from dpdktune.atomic import write_json, write_text
from dpdktune.dataset import read_records
from dpdktune.distill import pipeline
from dpdktune.distill.export import draw_top
from dpdktune.logs import rule_logging
from dpdktune.treefile import write_tree_json

with rule_logging(snakemake.log[0]) as log:
    summary = json.loads(open(snakemake.input.summary).read()) if "summary" in snakemake.input.keys() else None
    sweep = pd.read_parquet(snakemake.input.sweep) if "sweep" in snakemake.input.keys() else None
    inputs = {"dataset": str(snakemake.input.dataset)}
    if sweep is not None:
        inputs["sweep"] = str(snakemake.input.sweep)
    out = pipeline.export(
        read_records(snakemake.input.dataset), snakemake.config, summary, snakemake.params.deployed_dir, sweep, inputs
    )
    write_tree_json(out["table"], snakemake.output.tree)
    write_text("\n".join(out["rules"]) + "\n", snakemake.output.rules)
    write_text("\n".join(out["top"]) + "\n", snakemake.output.top)
    draw_top(out["table"], snakemake.output.figure)
    write_json(out["summary"], snakemake.output.summary)
    log.info("tree.json: %s, %d nodes", out["summary"]["setting"], out["summary"]["nodes"])
