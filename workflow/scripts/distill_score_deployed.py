"""Rule score_deployed_splits: the deployed fastpath.so rebuilt per RL split, scored on its held-out workloads."""

import json

import pandas as pd
from dpdktune.dataset import dataset_provenance, read_records
from dpdktune.distill import pipeline
from dpdktune.logs import rule_logging
from dpdktune.metrics.parquet import write_frame

with rule_logging(snakemake.log[0]) as log:
    inp = snakemake.input
    summary = json.loads(open(inp.summary).read()) if "summary" in inp.keys() else None
    sweep = pd.read_parquet(inp.sweep) if "sweep" in inp.keys() else None
    scores = pipeline.score_deployed_splits(
        read_records(inp.dataset), snakemake.config, summary, snakemake.params.model_dir, sweep
    )
    write_frame(scores, snakemake.output.scores, dataset_provenance(inp.dataset))
    log.info("deployed fast path on held-out workloads: %d splits", scores.split.nunique())
