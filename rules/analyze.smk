# Landscape analysis of the characterisation dataset: dynamic range, heatmaps, top configs, penalties, patterns,
# interactions. Tables and figures land in results/analyze/.


rule analyze_landscape:
    input:
        dataset=rules.merge_dataset.output.dataset,
        measurable=measurable_objectives,
        gate=rules.gate_validation.output.gate,
    output:
        summary="results/analyze/summary.json",
        performance="results/analyze/performance.parquet",
        dynamic_range="results/analyze/dynamic_range.parquet",
        top_configs="results/analyze/top_configs.parquet",
        penalty="results/analyze/penalty.parquet",
        clusters="results/analyze/clusters.parquet",
        correlations="results/analyze/correlations.parquet",
        importance="results/analyze/importance.parquet",
        knob_effects="results/analyze/knob_effects.parquet",
        patterns="results/analyze/patterns.parquet",
        anova="results/analyze/anova.parquet",
        sweet_spots="results/analyze/sweet_spots.parquet",
        cliffs="results/analyze/cliffs.parquet",
        variance="results/analyze/variance.parquet",
        eta_summary="results/analyze/eta_summary.parquet",
        knob_levels="results/analyze/knob_levels.parquet",
        dynamic_range_figure=report(
            "results/analyze/figures/dynamic_range.png",
            caption="../report/dynamic_range.rst",
            category="Phase 1",
            subcategory="landscape",
        ),
        heatmap_rx_cores_figure="results/analyze/figures/heatmap_rx_cores.png",
        heatmap_rings_figure="results/analyze/figures/heatmap_rings.png",
        heatmap_aggregate_figure=report(
            "results/analyze/figures/heatmap_aggregate.png",
            caption="../report/heatmap_aggregate.rst",
            category="Phase 1",
            subcategory="landscape",
        ),
        penalty_figure="results/analyze/figures/penalty.png",
        importance_figure=report(
            "results/analyze/figures/importance.png",
            caption="../report/importance.rst",
            category="Phase 1",
            subcategory="landscape",
        ),
        knob_effects_figure=report(
            "results/analyze/figures/knob_effects.png",
            caption="../report/knob_effects.rst",
            category="Phase 1",
            subcategory="landscape",
        ),
        p99_rx_figure="results/analyze/figures/p99_rx.png",
    log:
        "results/logs/analyze/analyze_landscape.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        settings=settings_of("analysis"),
    script:
        "../workflow/scripts/analyze_landscape.py"


# NDR/PDR (RFC 2544 throughput) per config by binary search over the offered rate; on a backend
# without rate control it records why, and the report says so.
rule search_ndr:
    input:
        dataset=rules.merge_dataset.output.dataset,
        gate=rules.gate_validation.output.gate,
    output:
        table="results/analyze/ndr.parquet",
        best="results/analyze/ndr_best.parquet",
        summary="results/analyze/ndr_summary.json",
        figure=report(
            "results/analyze/figures/ndr.png",
            caption="../report/ndr.rst",
            category="Phase 1",
            subcategory="landscape",
        ),
    log:
        "results/logs/analyze/search_ndr.log",
    conda:
        "../envs/dpdktune.yaml"
    # Snakemake lowers this to --cores; a fixed number (not workflow.cores) also plans under SLURM.
    threads: 4
    params:
        settings=settings_of("ndr"),
        workloads=WORKLOADS,
    script:
        "../workflow/scripts/analyze_ndr.py"
