# Codegen of the data-plane fast path: tree.json -> generated C (results/codegen/) -> fastpath.so at the repo root.


rule render_fastpath:
    input:
        tree=rules.distill_tree.output.tree,
        template=project_source("csrc/templates/fastpath_tree.c.j2"),
        decision=rules.analyze_gap.output.decision,
    output:
        source="results/codegen/fastpath_tree.c",
        fpt="results/codegen/tree.fpt",
    log:
        "results/logs/codegen/render.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        walk=section(config, "codegen").walk,
    script:
        "../workflow/scripts/codegen_render.py"


rule build_fastpath:
    input:
        source=rules.render_fastpath.output.source,
        runtime=project_source("csrc/fastpath_runtime.c"),
        headers=[project_source("csrc/fastpath.h"), project_source("csrc/fastpath_internal.h")],
    output:
        library="fastpath.so",
    log:
        "results/logs/codegen/build.log",
    conda:
        "../envs/dpdktune.yaml"
    params:
        cc=config["codegen"]["cc"],
    script:
        "../workflow/scripts/codegen_build.py"


rule codegen:
    input:
        rules.build_fastpath.output.library,
