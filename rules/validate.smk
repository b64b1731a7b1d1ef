# Validation of the merged dataset: missing points, failed runs, outliers,
# reproducibility, metric ranges. `snakemake rerun_failed` re-runs the failed/missing points.


rule validate_dataset:
    conda:
        "../envs/dpdktune.yaml"
    input:
        dataset=rules.merge_dataset.output.dataset,
        manifest=rules.merge_dataset.output.manifest,
    output:
        issues="results/validate/issues.parquet",
        groups="results/validate/groups.parquet",
        rerun="results/validate/rerun.parquet",
        summary="results/validate/summary.json",
    params:
        workloads=WORKLOADS,
    log:
        "results/logs/validate/validate_dataset.log",
    script:
        "../workflow/scripts/validate_dataset.py"


# Kept apart from validate_dataset so a failing gate leaves the findings on disk.
rule gate_validation:
    conda:
        "../envs/dpdktune.yaml"
    input:
        summary=rules.validate_dataset.output.summary,
    output:
        gate="results/validate/gate.json",
    log:
        "results/logs/validate/gate_validation.log",
    script:
        "../workflow/scripts/validate_gate.py"


rule rerun_failed:
    conda:
        "../envs/dpdktune.yaml"
    input:
        rerun=rules.validate_dataset.output.rerun,
    output:
        records="results/validate/rerun_records.parquet",
    log:
        "results/logs/validate/rerun_failed.log",
    script:
        "../workflow/scripts/validate_rerun.py"
