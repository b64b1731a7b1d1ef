# Helpers shared by the rules. First the config is checked: each config file (duplicate keys),
# config/schema.yaml (integers, finite numbers), then what a schema cannot see (names that
# must exist, hardware limits). A bad value stops here with one line per problem, no traceback.
import json
import os
import sys

from dpdktune.config import ConfigError, check_config, training_split_problem, unmeasured_objective_problem
from dpdktune.campaign.plan import campaign_id, campaign_workloads
from dpdktune.campaign.testbeds import testbed_pool
from dpdktune.distill import zero_shot
from dpdktune.paths import project_file
from dpdktune.sections import section

try:
    check_config(config, workflow.configfiles)
except ConfigError as exc:
    sys.exit(f"dpdktune: {exc}")

CAMPAIGN_ID = campaign_id(config)
WORKLOADS = [w.name for w in campaign_workloads(config)]
JOURNAL_DIR = f"results/characterize/journal/{CAMPAIGN_ID}"
LOCK_DIR = "results/.locks"

# Real testbeds are exclusive: at most one batch per testbed at a time (see campaign/testbeds.py).
TESTBEDS = testbed_pool(config)


def project_source(path):
    """A file the project ships (the fast path's C sources): the working directory's copy where it
    has one, else the packaged one, as dpdktune itself reads it (paths.project_file). So a campaign
    folder that holds only its config/ still builds fastpath.so."""
    return path if os.path.exists(path) else str(project_file(path))


def given_resource(name):
    """A resource given by a profile or --resources, or None. Snakemake 9.27 wraps values in
    `Resource` objects (whose `.get` takes no default); older releases keep plain numbers."""
    given = workflow.global_resources.get(name)
    value = getattr(given, "value", given)
    return None if value is None else int(value)


# A `testbeds` given by a profile or --resources is a cap (profiles/slurm sets one).
if TESTBEDS:
    cap = given_resource("testbeds")
    workflow.register_resource("testbeds", len(TESTBEDS) if cap is None else min(cap, len(TESTBEDS)))


# Snakemake reruns a job whose params changed, but it does not watch the config. Every rule past
# the measurements names the config sections it reads as a param, so editing one of them reruns
# that rule and what depends on it (the measurements have their own journal and archive).
SCORED_BY = ("objective", "slo", "default_config", "features", "seed")


def settings_of(*sections):
    """The config sections a rule reads, plus those that define how every config is scored."""
    return {name: config.get(name) for name in SCORED_BY + sections}


def preflight_report(wildcards):
    """A real backend's batches wait for the pre-flight checks; the simulator has none."""
    return [] if config["backend"] == "sim" else "results/characterize/preflight.json"


def training_workloads(wildcards):
    """The baselines and RL hold workloads out; too few stops the DAG before any job runs, with
    one line. Nothing else needs it, so `characterize` still measures a 1-workload campaign."""
    problem = training_split_problem(config)
    if problem:
        sys.exit(f"dpdktune: {problem}")
    return []


def measurable_objectives(wildcards):
    """Ranking configs needs objectives the backend can measure; otherwise stop the DAG with one
    line before any job runs (`characterize` needs no objective and is not stopped)."""
    problem = unmeasured_objective_problem(config)
    if problem:
        sys.exit(f"dpdktune: {problem}")
    return []


def journal_path(wildcards):
    return f"{JOURNAL_DIR}/{wildcards.workload}.jsonl"


def characterize_output(name):
    """`output.partitioned`: a hive-partitioned directory (streamed; for 100k-run campaigns)."""
    if config["output"]["partitioned"]:
        return directory(f"results/characterize/{name}")
    return f"results/characterize/{name}.parquet"


def optional_csv(wildcards):
    return ["results/characterize/dataset.csv"] if config["output"]["csv"] else []


def _phase2_decision():
    """(include Phase 2 in the report?, why) from `report.phase2`, Phase 1's decision and whether
    `snakemake distill` has built Phase 2. The go/no-go report never waits for Phase 2's RL
    evaluation (minutes of training per algorithm, split and seed); it shows it once built."""
    mode = section(config, "report").phase2
    if mode != "auto":
        return mode == "always", f"report.phase2 is {mode!r}"
    with open(checkpoints.analyze_gap.get().output.decision) as fh:
        decision = json.load(fh)["decision"]
    if decision == "NO-GO":
        return False, f"Phase 1 decided {decision}"
    # Phase 2 proceeds on GO; MAYBE means the case for ML needs more investigation, so show it too
    if not os.path.exists(rules.phase2_section.output.section):
        return False, f"Phase 1 decided {decision}, and Phase 2 is not built yet"
    return True, f"Phase 1 decided {decision}"


def _phase3_in_report():
    """`report.phase3`: auto adds Phase 3's section once it exists; always or never force it."""
    mode = section(config, "report").phase3
    spec = rules.evaluate_section.output.section
    return mode == "always" or (mode == "auto" and os.path.exists(spec))


def report_sections(wildcards):
    """The section-spec JSON files (see dpdktune/report/sections.py) rendered after the gap
    analysis: Phase 2's, then Phase 3's. None joins when the go/no-go leaves Phase 2 out."""
    wanted, _ = _phase2_decision()
    if not wanted:
        return []
    sections = [rules.phase2_section.output.section]
    if _phase3_in_report():
        sections.append(rules.evaluate_section.output.section)
    return sections


def phase2_note():
    wanted, why = _phase2_decision()
    return {"included": wanted, "why": why}


def rl_gpus(wildcards):
    """1 when torch trains on CUDA (rl.device cuda, or auto where CUDA is present), else 0: the
    `gpu` resource of a training job. Called per job, so torch loads only when RL jobs are planned."""
    device = section(config, "rl").device
    if device == "auto":
        import torch

        return int(torch.cuda.is_available())
    return int(device.startswith("cuda"))


def distill_sweep_input(wildcards):
    """The sweep's inputs: the teacher's split models only, or with distill.teacher auto every
    algorithm's and the RL summary that names the best."""
    teacher = config["distill"].get("teacher", "cql")
    algorithms = config["rl"]["algorithms"] if teacher == "auto" else [teacher]
    inputs = {
        "dataset": rules.merge_dataset.output.dataset,
        "models": expand(rules.train_rl.output.models, algorithm=algorithms),
    }
    if teacher == "auto":
        inputs["summary"] = rules.summarize_rl.output.summary
    return inputs


def zero_shot_input(wildcards):
    """The zero-shot workloads: report.zero_shot_dataset when given, else simulated ones (sim backend,
    report.zero_shot_workloads > 0), else none."""
    given = section(config, "report").zero_shot_dataset
    if given:
        from dpdktune.dataset import workloads as dataset_workloads

        problem = zero_shot.shared_workloads_problem(dataset_workloads(given), WORKLOADS)
        if problem:
            sys.exit(f"dpdktune: {problem}")
        return {"zero_shot": given}
    return {"zero_shot": rules.zero_shot_dataset.output.dataset} if zero_shot.simulated(config) else {}


def deployed_splits_input(wildcards):
    """The sweep's inputs, plus the sweep itself when distill.deploy is auto (it names the setting)."""
    inputs = distill_sweep_input(wildcards)
    if section(config, "distill").deploy == "auto":
        inputs["sweep"] = rules.distill_sweep.output.sweep
    return inputs


def distill_tree_input(wildcards):
    """The deployed tree's inputs: the deployed teacher only, plus the RL evaluation when
    distill.teacher is auto and the sweep when distill.deploy is auto."""
    distill = section(config, "distill")
    teacher = distill.teacher
    algorithms = config["rl"]["algorithms"] if teacher == "auto" else [teacher]
    inputs = {
        "dataset": rules.merge_dataset.output.dataset,
        "deployed": expand(rules.train_rl_deployed.output.model, algorithm=algorithms),
    }
    if teacher == "auto":
        inputs["summary"] = rules.summarize_rl.output.summary
    if distill.deploy == "auto":
        inputs["sweep"] = rules.distill_sweep.output.sweep
    return inputs
