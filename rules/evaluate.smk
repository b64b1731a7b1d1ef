# Phase 3 (`snakemake evaluation`): the two-tier runtime and its baselines over the same changing
# traffic. The twin's cells are simulated once, then each group of runs is one job; the report's
# Phase 3 section joins report.html once it exists (report.phase3: auto), or always / never.
EVALUATE_GROUPS = ["static", "dynamic", "novel", "day", "ablations"]


rule evaluate_twin:
    output:
        cells="results/evaluate/twin_cells.json",
    log:
        "results/logs/evaluate/twin.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        settings=settings_of("runtime", "rl", "distill"),
    script:
        "../workflow/scripts/evaluate_twin.py"


rule evaluate_group:
    input:
        cells=rules.evaluate_twin.output.cells,
        scenarios=expand("config/scenarios/{name}.yaml", name=["shifts", "day", "ablation"]),
    output:
        runs="results/evaluate/{group}.parquet",
    log:
        "results/logs/evaluate/{group}.log",
    wildcard_constraints:
        group="|".join(EVALUATE_GROUPS),
    conda:
        "../envs/dpdktune.yaml"
    params:
        settings=settings_of("runtime", "rl", "distill"),
    script:
        "../workflow/scripts/evaluate_group.py"


rule evaluate_section:
    input:
        groups=expand("results/evaluate/{group}.parquet", group=EVALUATE_GROUPS),
    output:
        section="results/evaluate/phase3_section.json",
        static_table="results/evaluate/table_static.parquet",
        dynamic_table="results/evaluate/table_dynamic.parquet",
        novel_table="results/evaluate/table_novel.parquet",
        safety_table="results/evaluate/table_safety.parquet",
        day_table="results/evaluate/table_day.parquet",
        ablation_table="results/evaluate/table_ablations.parquet",
        overhead_table="results/evaluate/table_overhead.parquet",
        headline="results/evaluate/headline.json",
        architecture_figure=report(
            "results/evaluate/figures/architecture.png",
            caption="../report/architecture.rst",
            category="Phase 3",
            subcategory="runtime",
        ),
        timeline_figure=report(
            "results/evaluate/figures/adaptation_timeline.png",
            caption="../report/adaptation_timeline.rst",
            category="Phase 3",
            subcategory="runtime",
        ),
        regret_figure=report(
            "results/evaluate/figures/regret.png",
            caption="../report/regret.rst",
            category="Phase 3",
            subcategory="runtime",
        ),
        overhead_figure=report(
            "results/evaluate/figures/overhead.png",
            caption="../report/overhead.rst",
            category="Phase 3",
            subcategory="runtime",
        ),
    log:
        "results/logs/evaluate/section.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        settings=settings_of("runtime", "rl", "distill"),
    script:
        "../workflow/scripts/evaluate_section.py"


rule evaluation:
    input:
        rules.evaluate_section.output,
