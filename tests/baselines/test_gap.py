import numpy as np
import pandas as pd
import pytest
from dpdktune.baselines import gap
from scipy import stats

ORDER = ("A", "B", "Oracle")


def _scores():
    rows = []
    for w, oracle, a, b in [("x", 10.0, 9.0, 5.0), ("y", 4.0, 3.0, 3.5), ("z", 8.0, 8.0, 2.0)]:
        for policy, got in (("A", a), ("B", b), ("Oracle", oracle)):
            rows.append(
                {
                    "policy": policy,
                    "split": 0,
                    "workload": w,
                    "trial": 0,
                    "config_index": 0,
                    "achieved": got,
                    "oracle": oracle,
                    "gap": (oracle - got) / oracle,
                    "inference_us": 10.0,
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    "opportunity, want",
    [(0.30, "GO"), (0.2501, "GO"), (0.25, "MAYBE"), (0.15, "MAYBE"), (0.1499, "NO-GO"), (0.0, "NO-GO")],
)
def test_classify_uses_the_plan_thresholds(opportunity, want):
    assert gap.classify(opportunity, go=0.25, maybe=0.15) == want


def test_aggregates_and_decision():
    scores = _scores()
    per_wl = gap.per_workload(scores)
    aggs = gap.aggregates(per_wl, scores, ORDER, n_boot=500, seed=0).set_index("policy")
    assert aggs.at["A", "mean_gap"] == pytest.approx(np.mean([0.1, 0.25, 0.0]))
    assert aggs.at["B", "worst_gap"] == pytest.approx(0.75)
    assert aggs.at["A", "gap_ci_low"] <= aggs.at["A", "mean_gap"] <= aggs.at["A", "gap_ci_high"]
    decision = gap.decide(aggs.reset_index(), {"go": 0.25, "maybe": 0.15})
    assert decision["best_baseline"] == "A"
    assert decision["opportunity"] == pytest.approx(aggs.at["A", "mean_gap"])
    assert decision["decision"] == "NO-GO"
    assert decision["confidence"] in ("high", "medium", "low")
    worse = gap.decide(aggs.reset_index(), {"go": 0.25, "maybe": 0.15}, validation_passed=False)
    levels = ["high", "medium", "low"]
    assert levels.index(worse["confidence"]) == min(2, levels.index(decision["confidence"]) + 1)


def test_comparison_has_a_row_per_workload_and_columns_per_policy():
    wide = gap.comparison(gap.per_workload(_scores()), ORDER)
    assert list(wide.workload) == ["x", "y", "z"]
    assert list(wide.columns[1:]) == ["A_value", "A_gap", "B_value", "B_gap", "Oracle_value", "Oracle_gap"]
    assert wide.loc[wide.workload == "x", "B_gap"].iloc[0] == pytest.approx(0.5)


def test_significance_is_a_paired_t_test():
    per_wl = gap.per_workload(_scores())
    sig = gap.significance(per_wl, ORDER)
    assert len(sig) == 1
    g = per_wl.pivot(index="workload", columns="policy", values="gap")
    assert sig.p_value.iloc[0] == pytest.approx(stats.ttest_rel(g["A"], g["B"]).pvalue)


def test_failure_modes_name_the_workload_and_a_hypothesis():
    from dpdktune.knobs import Knobs

    scores = _scores()
    # z is far out in llc among six workloads (three of them not scored)
    traits = pd.DataFrame(
        {"llc": [0.0, 0.1, 9.0, 0.2, 0.1, 0.0], "drop": [0.1, 0.2, 0.1, 0.2, 0.1, 0.2]},
        index=["x", "y", "z", "u", "v", "w"],
    )
    found = gap.failure_modes(gap.per_workload(scores), scores, traits, [Knobs(128, 128, 1)], fail_gap=0.2)
    assert set(zip(found.policy, found.workload)) == {("A", "y"), ("B", "x"), ("B", "z")}
    z_row = found[(found.policy == "B") & (found.workload == "z")].iloc[0]
    assert "atypical in llc" in z_row.hypothesis


def test_holm_adjusts_step_down_and_keeps_nan():
    adjusted = gap.holm([0.01, 0.04, np.nan, 0.03])
    assert adjusted[0] == pytest.approx(0.03) and adjusted[3] == pytest.approx(0.06)
    assert adjusted[1] == pytest.approx(0.06) and np.isnan(adjusted[2])


def test_significance_reports_holm_adjusted_p_values():
    rows = []
    for w, a, b, c in [("x", 0.1, 0.5, 0.3), ("y", 0.2, 0.45, 0.2), ("z", 0.0, 0.6, 0.1), ("u", 0.1, 0.7, 0.4)]:
        for policy, g in (("A", a), ("B", b), ("C", c)):
            rows.append({"policy": policy, "workload": w, "gap": g})
    sig = gap.significance(pd.DataFrame(rows), ("A", "B", "C", "Oracle"))
    assert len(sig) == 3
    assert (sig.p_holm >= sig.p_value).all()
    assert list(sig.significant) == list(sig.p_holm < 0.05)


def test_in_sample_opportunity_uses_the_trial_means():
    scores = _scores().assign(achieved_mean=lambda f: f.achieved + 0.5, oracle_mean=lambda f: f.oracle + 1.0)
    got = gap.in_sample_opportunity(scores, "A")
    want = np.mean([(11 - 9.5) / 11, (5 - 3.5) / 5, (9 - 8.5) / 9])
    assert got == pytest.approx(want)
    aggs = gap.aggregates(gap.per_workload(scores), scores, ORDER, 200, 0)
    row = gap.objective_row(aggs, {"go": 0.25, "maybe": 0.15}, scores)
    assert row["best_baseline"] == "A" and row["opportunity_in_sample"] == pytest.approx(want)
