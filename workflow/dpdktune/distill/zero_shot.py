"""The zero-shot set: workloads that no model saw, on which Phase 2 scores the deployed fastpath.so.

Leave-workload-out splits refit every policy on part of the campaign's workloads. The deployed
fastpath.so is trained on all of them, so the direct test of it on new traffic is a set of new
workloads: generated from another seed and simulated (sim backend), or measured in a second
campaign on the same grid (`report.zero_shot_dataset`, any backend).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dpdktune.sections import section

if TYPE_CHECKING:
    import pandas as pd

# The config check and the DAG import this module on every snakemake call: the heavy imports
# (numpy, pandas, the baselines, which load scikit-learn) wait for the functions that need them.

DEPLOYED = "fastpath.so (deployed, zero-shot)"
STATIC = "Static (best worst-case, zero-shot)"
RULES = "Rules (zero-shot)"
DEPLOYED_MINUS_STATIC = f"{DEPLOYED} minus Static (best worst-case)"


def simulated(config: dict[str, Any]) -> bool:
    """Whether the zero-shot set is simulated here (sim backend, no dataset given)."""
    rs = section(config, "report")
    return not rs.zero_shot_dataset and config["backend"] == "sim" and rs.zero_shot_workloads > 0


def described(config: dict[str, Any]) -> str:
    """Where the zero-shot workloads come from, for the report's sentence."""
    rs = section(config, "report")
    if rs.zero_shot_dataset:
        return f"measured in {rs.zero_shot_dataset}"
    return f"generated from seed {rs.zero_shot_seed} and simulated"


def config_problem(config: dict[str, Any]) -> str | None:
    """A zero-shot dataset that is not there, or a zero-shot seed equal to the campaign's own generator
    seed (it would draw the same workloads)."""
    spec, rs = config.get("workloads"), section(config, "report")
    if rs.zero_shot_dataset and not Path(rs.zero_shot_dataset).exists():
        return f"report.zero_shot_dataset: {rs.zero_shot_dataset} does not exist"
    if isinstance(spec, dict) and int(spec["generate"].get("seed", 0)) == rs.zero_shot_seed and simulated(config):
        return (
            f"report.zero_shot_seed: {rs.zero_shot_seed} is the seed the campaign's workloads are generated "
            "from, so the zero-shot workloads would not be new; pick another"
        )
    return None


def shared_workloads_problem(zero_workloads, campaign_workloads) -> str | None:
    """A given zero-shot dataset must hold only workloads the campaign does not. (Generated
    workloads are named by position, gen000 on, whatever their seed: a simulated set is told
    apart by its seed, `config_problem`.)"""
    seen = sorted(set(zero_workloads) & set(campaign_workloads))
    if seen:
        return f"report.zero_shot_dataset: workloads {seen} are in the campaign too; a zero-shot set must be new"
    return None


def simulate(config: dict[str, Any], workdir: str | Path):
    """The zero-shot workloads measured on the simulator, on the campaign's grid and trials."""
    from dpdktune.campaign.runner import run_inline

    rs = section(config, "report")
    generated = {"generate": {"count": rs.zero_shot_workloads, "seed": rs.zero_shot_seed}}
    records, _ = run_inline({**config, "backend": "sim", "workloads": generated}, workdir)
    return records  # a pyarrow Table, as the campaign's dataset


def rows(fastpath: str | Path, zero_records: pd.DataFrame, records: pd.DataFrame, config: dict[str, Any]):
    """The deployed fastpath.so, the static config its fallback runs and the Phase-1 rules, fitted
    on the campaign and scored as they run on the zero-shot workloads; then fastpath.so minus
    static paired by workload, with a bootstrap 95 % interval. Rows of the report's comparison."""
    import numpy as np
    import pandas as pd

    from dpdktune.baselines.gap import bootstrap_ci
    from dpdktune.score import score

    scored = {
        label: score(policy, zero_records, config, campaign=".", campaign_records=records)
        for policy, label in ((str(fastpath), DEPLOYED), ("static", STATIC), ("rules", RULES))
    }
    out = [
        {
            "policy": label,
            "decision": f"{len(r['per_workload'])} new workloads, {described(config)}; "
            f"fallback rate {r['fallback_rate']:.1%}",
            "score_vs_oracle": r["fraction_of_oracle"],
            "ci_low": r["ci"][0],
            "ci_high": r["ci"][1],
        }
        for label, r in scored.items()
    ]
    fast, static = scored[DEPLOYED]["per_workload"], scored[STATIC]["per_workload"]
    gain = np.array([fast[w] - static[w] for w in sorted(fast)])
    low, high = bootstrap_ci(gain, section(config, "baselines").bootstrap, int(config["seed"]))
    out.append(
        {
            "policy": DEPLOYED_MINUS_STATIC,
            "decision": "paired difference over workloads",
            "score_vs_oracle": float(gain.mean()),
            "ci_low": low,
            "ci_high": high,
        }
    )
    return pd.DataFrame(out).assign(splits=0, inference_us=None)


def words(comparison: pd.DataFrame, bar: float | None) -> str:
    """The zero-shot figures in plain words, against Phase 1's bar when there is one."""
    from dpdktune.baselines.gap import bar_verdict

    held = comparison.set_index("policy")
    if DEPLOYED not in held.index:
        return ""
    f, s, d = held.loc[DEPLOYED], held.loc[STATIC], held.loc[DEPLOYED_MINUS_STATIC]
    text = (
        f"On {f.decision.split('; ')[0]}, that no model saw, the deployed fastpath.so itself "
        f"(trained on every workload of the campaign; {f.decision.split('; ')[-1]}) "
        f"scores {f.score_vs_oracle:.3f} (CI {f.ci_low:.3f}-{f.ci_high:.3f}) against static's "
        f"{s.score_vs_oracle:.3f}: {d.score_vs_oracle:+.3f}, paired CI {d.ci_low:+.3f} to {d.ci_high:+.3f}."
    )
    if bar is not None:
        text += f" On them Phase 1's goal ({bar:+.3f}) {bar_verdict(d.score_vs_oracle, d.ci_low, bar)}"
    return text
