# The self-contained characterisation report with the go/no-go decision, at the repo root.
# Phase 2 and Phase 3 join it as extra sections after the gap analysis; which ones follows the
# go/no-go and config `report.phase2` / `report.phase3` (see report_sections in common.smk).
# Each input is a file the report reads, under the name dpdktune.report.build.required_files uses.


rule report:
    input:
        dataset=rules.merge_dataset.output.dataset,
        manifest=rules.merge_dataset.output.manifest,
        validation=rules.validate_dataset.output.summary,
        issues=rules.validate_dataset.output.issues,
        groups=rules.validate_dataset.output.groups,
        analysis=rules.analyze_landscape.output.summary,
        dynamic_range=rules.analyze_landscape.output.dynamic_range,
        top_configs=rules.analyze_landscape.output.top_configs,
        clusters=rules.analyze_landscape.output.clusters,
        importance=rules.analyze_landscape.output.importance,
        patterns=rules.analyze_landscape.output.patterns,
        anova=rules.analyze_landscape.output.anova,
        sweet_spots=rules.analyze_landscape.output.sweet_spots,
        cliffs=rules.analyze_landscape.output.cliffs,
        eta_summary=rules.analyze_landscape.output.eta_summary,
        dynamic_range_figure=rules.analyze_landscape.output.dynamic_range_figure,
        heatmap_rx_cores_figure=rules.analyze_landscape.output.heatmap_rx_cores_figure,
        heatmap_rings_figure=rules.analyze_landscape.output.heatmap_rings_figure,
        heatmap_aggregate_figure=rules.analyze_landscape.output.heatmap_aggregate_figure,
        penalty_figure=rules.analyze_landscape.output.penalty_figure,
        importance_figure=rules.analyze_landscape.output.importance_figure,
        knob_effects_figure=rules.analyze_landscape.output.knob_effects_figure,
        p99_rx_figure=rules.analyze_landscape.output.p99_rx_figure,
        ndr=rules.search_ndr.output.summary,
        ndr_best=rules.search_ndr.output.best,
        ndr_figure=rules.search_ndr.output.figure,
        decision=rules.analyze_gap.output.decision,
        models=rules.score_baselines.output.models,
        learning_curve=rules.score_baselines.output.learning_curve,
        learning_curve_figure=rules.score_baselines.output.learning_curve_figure,
        comparison=rules.analyze_gap.output.comparison,
        aggregates=rules.analyze_gap.output.aggregates,
        significance=rules.analyze_gap.output.significance,
        failure_modes=rules.analyze_gap.output.failure_modes,
        objectives=rules.analyze_gap.output.objectives,
        gap_figure=rules.analyze_gap.output.gap_figure,
        baselines_vs_oracle_figure=rules.analyze_gap.output.baselines_vs_oracle_figure,
        sections=report_sections,
    output:
        html="report.html",
    log:
        "results/logs/report/report.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        settings=settings_of(*config),  # the report quotes settings from every section
        phase2=lambda wildcards, input: phase2_note(),
    script:
        "../workflow/scripts/report_html.py"
