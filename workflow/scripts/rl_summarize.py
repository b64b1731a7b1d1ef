"""Rule summarize_rl: LWO scores with CIs, learning curves, timings (dpdktune.rl.summarize)."""

from dpdktune.atomic import write_json
from dpdktune.dataset import dataset_provenance, read_records
from dpdktune.logs import rule_logging
from dpdktune.metrics.parquet import write_frame
from dpdktune.rl import summarize

with rule_logging(snakemake.log[0]) as log:
    prov = dataset_provenance(snakemake.input.dataset)
    scores, curves, summary = summarize.summarize(
        snakemake.input.scores, snakemake.input.curves, snakemake.input.timing
    )
    decisions = summarize.baseline_format(
        read_records(snakemake.input.dataset), snakemake.config, snakemake.params.model_dir
    )
    write_frame(scores, snakemake.output.scores, prov)
    write_frame(curves, snakemake.output.curves, prov)
    write_frame(summarize.lwo_table(summary), snakemake.output.lwo, prov)
    write_frame(decisions, snakemake.output.decisions, prov)
    write_json(summary, snakemake.output.summary)
    log.info("best Q-learner: %s", summary["best_q_algorithm"])
