# dpdktune: wiring only. Logic lives in workflow/dpdktune/, helpers in rules/common.smk.
from snakemake.utils import min_version

from dpdktune.sections import ALGORITHMS  # the one list of RL algorithms

min_version("9.0")


configfile: "config/config.yaml"


# `snakemake --report` collects the figures the rules mark with report(); captions live in report/.
report: "report/workflow.rst"


wildcard_constraints:
    workload="[A-Za-z0-9_.-]+",
    algorithm="|".join(ALGORITHMS),


include: "rules/common.smk"
include: "rules/characterize.smk"
include: "rules/validate.smk"
include: "rules/analyze.smk"
include: "rules/baselines.smk"
include: "rules/rl.smk"
include: "rules/distill.smk"
include: "rules/codegen.smk"
include: "rules/evaluate.smk"
include: "rules/report.smk"
