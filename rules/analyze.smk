# Landscape analysis (plan 1.3): dynamic range, heatmaps, top configs, penalties, patterns,
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
