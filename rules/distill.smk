# Phase 2 distillation: the sweep over the RL splits' teachers (for the report), the deployed tree
# (results/distill/tree.json, codegen's input: from the deployed teacher alone unless the teacher or
# the tree's setting is "auto") and the report's Phase 2 section.


# The sweep's splits run round-robin in DISTILL_PARTS jobs (each split has its own seed: same
# table), and they wait only for the teacher's RL models, not for every algorithm's training.
DISTILL_PARTS = max(1, min(2, config["rl"]["split_repeats"]))  # never an empty part


rule distill_sweep_part:
    input:
        unpack(distill_sweep_input),
    output:
        sweep=temp("results/distill/sweep_parts/{part}.parquet"),
    log:
        "results/logs/distill/sweep.{part}.log",
    wildcard_constraints:
        part=r"\d+",
    conda:
        "../envs/dpdktune.yaml"
    threads: 1
    params:
        settings=settings_of("rl", "distill"),
        model_dir=lambda wildcards, input: os.path.dirname(input.models[0]),
        parts=DISTILL_PARTS,
    script:
        "../workflow/scripts/distill_sweep.py"


rule distill_sweep:
    input:
        dataset=rules.merge_dataset.output.dataset,
        parts=expand("results/distill/sweep_parts/{part}.parquet", part=range(DISTILL_PARTS)),
    output:
        sweep="results/distill/sweep.parquet",
        depth="results/distill/fidelity_vs_depth.parquet",
    log:
        "results/logs/distill/sweep.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        settings=settings_of("rl", "distill"),
    script:
        "../workflow/scripts/distill_sweep_merge.py"


rule distill_tree:
    input:
        unpack(distill_tree_input),
    output:
        tree="results/distill/tree.json",
        rules="results/distill/rules.txt",
        top="results/distill/tree_top.txt",
        figure=report(
            "results/distill/tree_top.svg",
            caption="../report/tree_top.rst",
            category="Phase 2",
            subcategory="learned policy",
        ),
        summary="results/distill/summary.json",
    log:
        "results/logs/distill/tree.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        settings=settings_of("rl", "distill"),
        deployed_dir=lambda wildcards, input: os.path.dirname(input.deployed[0]),
    script:
        "../workflow/scripts/distill_tree.py"


# The deployed setting rebuilt on each split's training workloads and compiled, then scored as
# it runs on the split's held-out workloads: the report's figure for the fast path on new traffic.
rule score_deployed_splits:
    input:
        unpack(deployed_splits_input),
    output:
        scores="results/distill/deployed_splits.parquet",
    log:
        "results/logs/distill/deployed_splits.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        settings=settings_of("rl", "distill", "codegen"),
        model_dir=lambda wildcards, input: os.path.dirname(input.models[0]),
    script:
        "../workflow/scripts/distill_score_deployed.py"


# Workloads generated from another seed and simulated, that no model saw: the report scores the
# deployed fastpath.so, trained on every workload of the campaign, on them (sim backend only).
rule zero_shot_dataset:
    output:
        dataset="results/zero_shot/dataset.parquet",
    log:
        "results/logs/zero_shot.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        settings=settings_of("hardware", "grid", "trials", "sim", "ndr"),
        workloads=section(config, "report").zero_shot_workloads,
        generator_seed=section(config, "report").zero_shot_seed,
    script:
        "../workflow/scripts/distill_zero_shot.py"


rule phase2_section:
    input:
        unpack(zero_shot_input),
        dataset=rules.merge_dataset.output.dataset,
        rl_summary=rules.summarize_rl.output.summary,
        curves=rules.summarize_rl.output.curves,
        decisions=rules.summarize_rl.output.decisions,
        depth=rules.distill_sweep.output.depth,
        distill_summary=rules.distill_tree.output.summary,
        top=rules.distill_tree.output.top,
        rules=rules.distill_tree.output.rules,
        figure=rules.distill_tree.output.figure,
        decision=rules.analyze_gap.output.decision,
        deployed_splits=rules.score_deployed_splits.output.scores,
        fastpath="fastpath.so",  # rules/codegen.smk builds it (included after this file)
    output:
        section="results/distill/phase2_section.json",
        comparison="results/distill/phase2_comparison.parquet",
        latency="results/distill/phase2_latency.parquet",
        rules_table="results/distill/phase2_rules.parquet",
        curves_figure=report(
            "results/distill/figures/learning_curves.png",
            caption="../report/learning_curves.rst",
            category="Phase 2",
            subcategory="learned policy",
        ),
        depth_figure=report(
            "results/distill/figures/fidelity_vs_depth.png",
            caption="../report/fidelity_vs_depth.rst",
            category="Phase 2",
            subcategory="learned policy",
        ),
    log:
        "results/logs/distill/phase2_section.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        settings=settings_of("rl", "distill", "baselines", "decision", "report"),
    script:
        "../workflow/scripts/distill_phase2_section.py"


rule distill:
    input:
        rules.distill_tree.output,
        rules.phase2_section.output,
