# Simple baselines (static best, rules, lookup table, linear) scored leave-workload-out, then the
# gap analysis against the oracle and the go/no-go decision on whether ML is worth it.


rule score_baselines:
    input:
        dataset=rules.merge_dataset.output.dataset,
        enough_workloads=training_workloads,
        measurable=measurable_objectives,
        gate=rules.gate_validation.output.gate,
    output:
        scores="results/baselines/scores.parquet",
        fingerprints="results/baselines/fingerprints.parquet",
        objective_table="results/baselines/objective_table.parquet",
        models="results/baselines/models.json",
        learning_curve="results/baselines/learning_curve.parquet",
        learning_curve_figure=report(
            "results/baselines/figures/learning_curve.png",
            caption="../report/learning_curve.rst",
            category="Phase 1",
            subcategory="go/no-go",
        ),
    log:
        "results/logs/baselines/score_baselines.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        settings=settings_of("baselines", "decision"),
    script:
        "../workflow/scripts/baselines_score.py"


checkpoint analyze_gap:
    input:
        scores=rules.score_baselines.output.scores,
        fingerprints=rules.score_baselines.output.fingerprints,
        validation=rules.validate_dataset.output.summary,
    output:
        decision="results/baselines/decision.json",
        per_workload="results/baselines/per_workload.parquet",
        comparison="results/baselines/comparison.parquet",
        aggregates="results/baselines/aggregates.parquet",
        significance="results/baselines/significance.parquet",
        failure_modes="results/baselines/failure_modes.parquet",
        objectives="results/baselines/objectives.parquet",
        gap_figure=report(
            "results/baselines/figures/gap.png",
            caption="../report/gap.rst",
            category="Phase 1",
            subcategory="go/no-go",
        ),
        baselines_vs_oracle_figure=report(
            "results/baselines/figures/baselines_vs_oracle.png",
            caption="../report/baselines_vs_oracle.rst",
            category="Phase 1",
            subcategory="go/no-go",
        ),
    log:
        "results/logs/baselines/analyze_gap.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        settings=settings_of("baselines", "decision"),
    script:
        "../workflow/scripts/baselines_gap.py"
