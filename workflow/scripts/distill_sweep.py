"""Rule distill_sweep_part: method x depth x leaf size x top-K over a part of the LWO splits (dpdktune.distill)."""

import json

from dpdktune.dataset import dataset_provenance, read_records
from dpdktune.distill import pipeline
from dpdktune.logs import rule_logging
from dpdktune.metrics.parquet import write_frame

with rule_logging(snakemake.log[0]) as log:
    prov = dataset_provenance(snakemake.input.dataset)
    summary = json.loads(open(snakemake.input.summary).read()) if "summary" in snakemake.input.keys() else None
    sweep = pipeline.run_sweep(
        read_records(snakemake.input.dataset),
        snakemake.config,
        summary,
        snakemake.params.model_dir,
        part=int(snakemake.wildcards.part),
        parts=snakemake.params.parts,
    )
    write_frame(sweep, snakemake.output.sweep, prov)
    log.info(
        "distill sweep part %s: %d settings x splits, teacher %s",
        snakemake.wildcards.part,
        len(sweep),
        sweep.teacher.iloc[0],
    )
