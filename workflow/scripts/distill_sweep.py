"""Rule distill_sweep: method x depth x leaf size x top-K over the LWO splits (dpdktune.distill)."""

import json

from dpdktune.dataset import dataset_provenance, read_records
from dpdktune.distill import pipeline
from dpdktune.logs import rule_logging
from dpdktune.metrics.parquet import write_frame

with rule_logging(snakemake.log[0]) as log:
    prov = dataset_provenance(snakemake.input.dataset)
    summary = json.loads(open(snakemake.input.summary).read())
    sweep = pipeline.run_sweep(
        read_records(snakemake.input.dataset), snakemake.config, summary, snakemake.params.model_dir
    )
    write_frame(sweep, snakemake.output.sweep, prov)
    write_frame(pipeline.depth_table(sweep), snakemake.output.depth, prov)
    log.info("distill sweep: %d settings x splits, teacher %s", len(sweep), sweep.teacher.iloc[0])
