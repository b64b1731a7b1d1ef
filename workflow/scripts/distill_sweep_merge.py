"""Rule distill_sweep: the sweep table joined from its distill_sweep_part jobs, and fidelity against depth."""

import pandas as pd
from dpdktune.dataset import dataset_provenance
from dpdktune.distill import pipeline
from dpdktune.logs import rule_logging
from dpdktune.metrics.parquet import write_frame

with rule_logging(snakemake.log[0]) as log:
    prov = dataset_provenance(snakemake.input.dataset)
    sweep = pipeline.merge_sweep_parts([pd.read_parquet(p) for p in snakemake.input.parts])
    write_frame(sweep, snakemake.output.sweep, prov)
    write_frame(pipeline.depth_table(sweep), snakemake.output.depth, prov)
    log.info(
        "distill sweep: %d settings x splits from %d parts, teacher %s",
        len(sweep),
        len(snakemake.input.parts),
        sweep.teacher.iloc[0],
    )
