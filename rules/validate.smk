# Validation of the merged dataset: missing points, failed runs, outliers,
# reproducibility, metric ranges. `snakemake rerun_failed` re-runs the failed/missing points.


rule validate_dataset:
    input:
        dataset=rules.merge_dataset.output.dataset,
        manifest=rules.merge_dataset.output.manifest,
    output:
        issues="results/validate/issues.parquet",
        groups="results/validate/groups.parquet",
        rerun="results/validate/rerun.parquet",
        summary="results/validate/summary.json",
    log:
        "results/logs/validate/validate_dataset.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        settings=settings_of("validate"),
        workloads=WORKLOADS,
    script:
        "../workflow/scripts/validate_dataset.py"


# Kept apart from validate_dataset so a failing gate leaves the findings on disk.
rule gate_validation:
    input:
        summary=rules.validate_dataset.output.summary,
    output:
        gate="results/validate/gate.json",
    log:
        "results/logs/validate/gate_validation.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        settings=settings_of("validate"),
    script:
        "../workflow/scripts/validate_gate.py"


rule rerun_failed:
    input:
        rerun=rules.validate_dataset.output.rerun,
    output:
        records="results/validate/rerun_records.parquet",
    log:
        "results/logs/validate/rerun_failed.log",
    conda:
        "../envs/dpdktune.yaml"
    script:
        "../workflow/scripts/validate_rerun.py"
