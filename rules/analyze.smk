# Landscape analysis of the characterisation dataset: dynamic range, heatmaps, top configs, penalties, patterns,
# interactions. Tables and figures land in results/analyze/.
from dpdktune.stage_outputs import ANALYSIS_FIGURES, ANALYSIS_TABLES


rule analyze_landscape:
    conda:
        "../envs/dpdktune.yaml"
    input:
        dataset=rules.merge_dataset.output.dataset,
        measurable=measurable_objectives,
        gate=rules.gate_validation.output.gate,
    output:
        summary="results/analyze/summary.json",
        tables=expand("results/analyze/{name}.parquet", name=ANALYSIS_TABLES),
        figures=expand("results/analyze/figures/{name}.png", name=ANALYSIS_FIGURES),
    log:
        "results/logs/analyze/analyze_landscape.log",
    script:
        "../workflow/scripts/analyze_landscape.py"


# NDR/PDR (RFC 2544 throughput) per config by binary search over the offered rate; on a backend
# without rate control it records why, and the report says so.
rule search_ndr:
    conda:
        "../envs/dpdktune.yaml"
    input:
        dataset=rules.merge_dataset.output.dataset,
        gate=rules.gate_validation.output.gate,
    output:
        table="results/analyze/ndr.parquet",
        best="results/analyze/ndr_best.parquet",
        summary="results/analyze/ndr_summary.json",
        figure="results/analyze/figures/ndr.png",
    params:
        workloads=WORKLOADS,
    # Snakemake lowers this to --cores; a fixed number (not workflow.cores) also plans under SLURM.
    threads: 4
    log:
        "results/logs/analyze/search_ndr.log",
    script:
        "../workflow/scripts/analyze_ndr.py"
