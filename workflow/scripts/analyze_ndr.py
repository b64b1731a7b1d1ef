"""Rule search_ndr: NDR and PDR per config by binary search over the offered rate (dpdktune.ndr)."""

from dpdktune.atomic import write_json
from dpdktune.dataset import dataset_provenance
from dpdktune.logs import rule_logging
from dpdktune.metrics.parquet import write_frame
from dpdktune.ndr import best_by_cores, ndr_figure, run

with rule_logging(snakemake.log[0]):
    table, summary = run(snakemake.config, list(snakemake.params.workloads), snakemake.threads)
    prov = dataset_provenance(snakemake.input.dataset)
    write_frame(table, snakemake.output.table, prov)
    write_frame(best_by_cores(table), snakemake.output.best, prov)
    ndr_figure(best_by_cores(table), snakemake.output.figure, summary)
    write_json(summary, snakemake.output.summary)
