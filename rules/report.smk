# The self-contained characterisation report with the go/no-go decision, at the repo root.
# Phase 2 and Phase 3 join it as extra sections after the gap analysis; which ones follows the
# go/no-go and config `report.phase2` / `report.phase3` (see report_sections in common.smk).


rule report:
    conda:
        "../envs/dpdktune.yaml"
    input:
        dataset=rules.merge_dataset.output.dataset,
        manifest=rules.merge_dataset.output.manifest,
        validation=rules.validate_dataset.output.summary,
        issues=rules.validate_dataset.output.issues,
        groups=rules.validate_dataset.output.groups,
        analysis=rules.analyze_landscape.output.summary,
        analysis_outputs=rules.analyze_landscape.output,
        models=rules.score_baselines.output.models,
        ndr=rules.search_ndr.output.summary,
        ndr_best=rules.search_ndr.output.best,
        ndr_figure=rules.search_ndr.output.figure,
        decision=rules.analyze_gap.output.decision,
        gap_outputs=rules.analyze_gap.output,
        sections=report_sections,
    output:
        html="report.html",
    params:
        phase2=lambda wildcards, input: phase2_note(),
    log:
        "results/logs/report/report.log",
    script:
        "../workflow/scripts/report_html.py"
