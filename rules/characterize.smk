# Characterization sweep: one job per workload (Snakemake costs ~0.3 s per job, a simulated
# run ~1 ms), each resuming from its own per-run journal.


# Real testbeds are checked once before the first run (host key, testpmd, hugepages, cores,
# PCI, generator); the report is temporary, so a later sweep that has runs to do checks again.
rule preflight:
    output:
        report=temp("results/characterize/preflight.json"),
    log:
        "results/logs/characterize/preflight.log",
    conda:
        "../envs/dpdktune.yaml"
    script:
        "../workflow/scripts/preflight.py"


rule run_batch:
    input:
        preflight=preflight_report,
    output:
        records="results/characterize/batches/{workload}.parquet",
        timeseries="results/characterize/batches/{workload}.timeseries.parquet",
    log:
        "results/logs/characterize/{workload}.log",
    retries: 2
    conda:
        "../envs/dpdktune.yaml"
    threads: 1
    resources:
        testbeds=1 if TESTBEDS else 0,
    params:
        campaign_id=CAMPAIGN_ID,
        journal=journal_path,
        lock_dir=LOCK_DIR,
    script:
        "../workflow/scripts/characterize_batch.py"


rule merge_dataset:
    input:
        records=expand(rules.run_batch.output.records, workload=WORKLOADS),
        timeseries=expand(rules.run_batch.output.timeseries, workload=WORKLOADS),
    # update(): Snakemake neither deletes these before the merge nor after a failed one, so the
    # last good dataset stays in place until a merge succeeds (each is written temp + rename).
    output:
        dataset=update(characterize_output("dataset")),
        timeseries=update(characterize_output("timeseries")),
        manifest=update("results/characterize/manifest.json"),
    log:
        "results/logs/characterize/merge.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        campaign_id=CAMPAIGN_ID,
        journal_dir=JOURNAL_DIR,
    script:
        "../workflow/scripts/characterize_merge.py"


rule export_csv:
    input:
        dataset=rules.merge_dataset.output.dataset,
    output:
        csv="results/characterize/dataset.csv",
    log:
        "results/logs/characterize/export_csv.log",
    conda:
        "../envs/dpdktune.yaml"
    script:
        "../workflow/scripts/characterize_export_csv.py"


rule archive_campaign:
    input:
        dataset=rules.merge_dataset.output.dataset,
        timeseries=rules.merge_dataset.output.timeseries,
        manifest=rules.merge_dataset.output.manifest,
    output:
        receipt="results/characterize/archived.json",
    log:
        "results/logs/characterize/archive.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        archive_dir=f"results/archive/{CAMPAIGN_ID}",
        journal_dir=JOURNAL_DIR,
    script:
        "../workflow/scripts/characterize_archive.py"


# Fails (after the data is merged and kept) when too many runs failed: see max_failed_share.
rule check_failures:
    input:
        manifest=rules.merge_dataset.output.manifest,
    output:
        verdict="results/characterize/failures_ok.json",
    log:
        "results/logs/characterize/check_failures.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        max_failed_share=config["max_failed_share"],
    script:
        "../workflow/scripts/characterize_check_failures.py"


rule characterize:
    default_target: True
    input:
        rules.merge_dataset.output,
        rules.archive_campaign.output,
        rules.check_failures.output,
        optional_csv,


# One run per working directory: a second run would delete the first one's outputs
# (see dpdktune/campaign/workdir_lock.py; runs in the main process only, never in a dry run).
onstart:
    from dpdktune.campaign.workdir_lock import hold_for_this_run

    hold_for_this_run()
