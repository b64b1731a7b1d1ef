# Phase 2 RL: the offline dataset; per algorithm, the deployed model (every workload, all that
# fastpath.so needs) and the evaluation (leave-workload-out splits x training seeds, for the report),
# then the combined tables. torch uses the job's threads (rl.threads); a CUDA device takes one `gpu` resource.


rule build_rl_dataset:
    input:
        dataset=rules.merge_dataset.output.dataset,
    output:
        dataset="results/rl/dataset.h5",
        transitions="results/rl/transitions.parquet",
        behaviour="results/rl/behaviour.json",
    log:
        "results/logs/rl/build_dataset.log",
    conda:
        "../envs/dpdktune.yaml"
    threads: 1
    params:
        settings=settings_of("rl"),
    script:
        "../workflow/scripts/rl_build_dataset.py"


rule train_rl_deployed:
    input:
        dataset=rules.merge_dataset.output.dataset,
    output:
        model=directory("results/rl/deployed/{algorithm}"),
        timing="results/rl/deployed/{algorithm}.timing.json",
    log:
        "results/logs/rl/deploy_{algorithm}.log",
    retries: 1
    conda:
        "../envs/dpdktune.yaml"
    threads: config["rl"]["threads"]
    resources:
        mem_mb=2000,
        gpu=rl_gpus,
    params:
        settings=settings_of("rl"),
    script:
        "../workflow/scripts/rl_train_deployed.py"


# The evaluation's trainings of one algorithm, split round-robin over RL_PARTS jobs: the online
# algorithms take several times as long as the offline ones, and whole-algorithm jobs left one
# of two cores idle for a quarter of the RL stage. Each training seeds itself: same results.
RL_PARTS = max(1, min(3, config["rl"]["split_repeats"] * config["rl"]["seeds"]))  # never an empty part


rule train_rl_part:
    input:
        dataset=rules.merge_dataset.output.dataset,
        enough_workloads=training_workloads,
    output:
        scores=temp("results/rl/{algorithm}/parts/{part}/scores.parquet"),
        curves=temp("results/rl/{algorithm}/parts/{part}/curves.parquet"),
        timing=temp("results/rl/{algorithm}/parts/{part}/timing.json"),
        models=temp(directory("results/rl/{algorithm}/parts/{part}/models")),
    log:
        "results/logs/rl/train_{algorithm}.{part}.log",
    wildcard_constraints:
        part=r"\d+",
    retries: 1
    conda:
        "../envs/dpdktune.yaml"
    threads: config["rl"]["threads"]
    resources:
        mem_mb=2000,
        gpu=rl_gpus,
    params:
        settings=settings_of("rl"),
        parts=RL_PARTS,
    script:
        "../workflow/scripts/rl_train.py"


rule train_rl:
    input:
        scores=expand("results/rl/{{algorithm}}/parts/{part}/scores.parquet", part=range(RL_PARTS)),
        curves=expand("results/rl/{{algorithm}}/parts/{part}/curves.parquet", part=range(RL_PARTS)),
        timing=expand("results/rl/{{algorithm}}/parts/{part}/timing.json", part=range(RL_PARTS)),
        models=expand("results/rl/{{algorithm}}/parts/{part}/models", part=range(RL_PARTS)),
    output:
        scores="results/rl/{algorithm}/scores.parquet",
        curves="results/rl/{algorithm}/curves.parquet",
        timing="results/rl/{algorithm}/timing.json",
        models=directory("results/rl/models/{algorithm}"),
    log:
        "results/logs/rl/train_{algorithm}.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        settings=settings_of("rl"),
    script:
        "../workflow/scripts/rl_merge_parts.py"


rule summarize_rl:
    input:
        dataset=rules.merge_dataset.output.dataset,
        scores=expand(rules.train_rl.output.scores, algorithm=config["rl"]["algorithms"]),
        curves=expand(rules.train_rl.output.curves, algorithm=config["rl"]["algorithms"]),
        timing=expand(rules.train_rl.output.timing, algorithm=config["rl"]["algorithms"]),
        models=expand(rules.train_rl.output.models, algorithm=config["rl"]["algorithms"]),
    output:
        scores="results/rl/scores.parquet",
        curves="results/rl/learning_curves.parquet",
        lwo="results/rl/lwo.parquet",
        decisions="results/rl/lwo_decisions.parquet",
        summary="results/rl/summary.json",
    log:
        "results/logs/rl/summarize.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        settings=settings_of("rl"),
        model_dir=lambda wildcards, input: os.path.dirname(input.models[0]),
    script:
        "../workflow/scripts/rl_summarize.py"


rule rl:
    input:
        rules.build_rl_dataset.output,
        rules.summarize_rl.output,
