"""Rule phase2_section: the report's Phase 2 section spec, tables and figures."""

import json
from pathlib import Path

import pandas as pd
from dpdktune.atomic import write_json
from dpdktune.baselines.gap import phase1_note
from dpdktune.dataset import dataset_provenance, read_records
from dpdktune.distill import phase2_section as p2
from dpdktune.distill import zero_shot
from dpdktune.logs import rule_logging
from dpdktune.metrics.parquet import write_frame

with rule_logging(snakemake.log[0]):
    prov = dataset_provenance(snakemake.input.dataset)
    inp, out = snakemake.input, snakemake.output
    rl_summary = json.loads(Path(inp.rl_summary).read_text())
    distill_summary = json.loads(Path(inp.distill_summary).read_text())
    depth = pd.read_parquet(inp.depth)
    records = read_records(inp.dataset)
    comparison = p2.comparison(records, snakemake.config, pd.read_parquet(inp.decisions), rl_summary)
    deployed = p2.deployed_rows(inp.fastpath, records, snakemake.config)
    held_out = p2.deployed_split_rows(pd.read_parquet(inp.deployed_splits))
    if "zero_shot" in inp.keys():
        held_out = pd.concat(
            [held_out, zero_shot.rows(inp.fastpath, read_records(inp.zero_shot), records, snakemake.config)]
        )
    write_frame(pd.concat([deployed, held_out, comparison], ignore_index=True), out.comparison, prov)
    write_frame(p2.latency(rl_summary, distill_summary, depth), out.latency, prov)
    write_frame(p2.rules_frame(Path(inp.rules).read_text()), out.rules_table, prov)
    p2.curves_figure(pd.read_parquet(inp.curves), out.curves_figure)
    p2.depth_figure(depth, out.depth_figure)
    paths = {
        "rl_summary": inp.rl_summary,
        "distill_summary": inp.distill_summary,
        "comparison": out.comparison,
        "depth": inp.depth,
        "rules_table": out.rules_table,
        "latency": out.latency,
        "curves_figure": out.curves_figure,
        "depth_figure": out.depth_figure,
        "tree_figure": inp.figure,
    }
    phase1, _ = phase1_note(inp.decision)
    decision = json.loads(Path(inp.decision).read_text())
    bar = decision["opportunity"] / 2 if decision["decision"] in ("GO", "MAYBE") else None
    write_json(
        p2.section_spec(rl_summary, distill_summary, Path(inp.top).read_text(), paths, snakemake.config, phase1, bar),
        out.section,
    )
