"""Rule zero_shot_dataset: workloads generated from another seed, simulated, that no model saw."""

import tempfile

import pyarrow.parquet as pq
from dpdktune.distill import zero_shot
from dpdktune.logs import rule_logging

with rule_logging(snakemake.log[0]) as log:
    with tempfile.TemporaryDirectory(prefix="zero_shot_") as tmp:
        records = zero_shot.simulate(snakemake.config, tmp)
    pq.write_table(records, snakemake.output.dataset)
    log.info(
        "zero-shot set: %d records of %d workloads", records.num_rows, len(set(records.column("workload").to_pylist()))
    )
