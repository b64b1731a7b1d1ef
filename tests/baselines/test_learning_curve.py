import math

import numpy as np
import pandas as pd
import pytest
from dpdktune.baselines.evaluate import STATIC_WORST, score_baselines
from dpdktune.baselines.learning_curve import (
    LEARNED,
    MIN_TRAINING_WORKLOADS,
    learning_curve,
    nested_subsets,
    summarize,
    verdict,
)
from dpdktune.fingerprint import fingerprints
from dpdktune.objective import objective_table


def test_subsets_are_nested_sized_by_fraction_and_seeded():
    train = [f"w{i}" for i in range(11)]
    subsets = nested_subsets(train, (0.25, 0.5, 0.75, 1.0), seed=3)
    sizes = [len(subsets[f]) for f in (0.25, 0.5, 0.75, 1.0)]
    assert sizes == [math.ceil(f * 11) for f in (0.25, 0.5, 0.75, 1.0)]
    assert set(subsets[0.25]) <= set(subsets[0.5]) <= set(subsets[0.75]) <= set(subsets[1.0]) == set(train)
    assert nested_subsets(train, (0.5,), seed=3)[0.5] == subsets[0.5]
    assert nested_subsets(train, (0.5,), seed=4)[0.5] != subsets[0.5]


def test_full_training_set_scores_as_phase_one_and_small_fractions_are_skipped(records, config):
    X = fingerprints(records, config)
    table = objective_table(records, config)
    curve = learning_curve(X, table, config, None)
    assert set(curve.policy) == {STATIC_WORST, *LEARNED}
    assert curve.training_workloads.min() >= MIN_TRAINING_WORKLOADS
    assert 1.0 in set(curve.fraction) and curve.share_of_oracle.max() <= 1.0 + 1e-12
    # at the full fraction each split trains on all its training workloads: Phase 1's own scores
    phase1 = score_baselines(X, table, config)
    full = curve[curve.fraction == 1.0]
    for policy in (STATIC_WORST, "Rules"):
        expected = (
            1.0 - phase1[phase1.policy == policy].groupby(["split", "workload"]).gap.mean().groupby("split").mean()
        )
        got = full[full.policy == policy].set_index("split").share_of_oracle
        assert np.allclose(got.sort_index().to_numpy(), expected.sort_index().to_numpy())
    # so the pipeline reads that point from Phase 1's scores instead of refitting it
    pd.testing.assert_frame_equal(learning_curve(X, table, config, None, phase1_scores=phase1), curve)


def _curve(gains: list[float], base: float = 0.6) -> pd.DataFrame:
    rows = []
    for split, gain in enumerate(gains):
        for fraction, workloads, share in ((0.5, 6, base), (1.0, 11, base + gain)):
            rows.append(("Rules", fraction, workloads, split, share))
            rows.append(("Lookup", fraction, workloads, split, base - 0.1))
    return pd.DataFrame(rows, columns=["policy", "fraction", "training_workloads", "split", "share_of_oracle"])


@pytest.mark.parametrize(
    ("gains", "rising", "words"),
    [
        ([0.10, 0.12, 0.09, 0.11], True, "Still rising"),
        ([0.30, -0.20, 0.25, -0.15], False, "within the noise"),
        ([-0.02, -0.01, -0.03, -0.02], False, "No rise from 6 to 11"),
    ],
)
def test_the_verdict_follows_the_paired_gain_of_the_best_learner(gains, rising, words):
    summary = summarize(_curve(gains))
    assert summary["policy"] == "Rules" and summary["rising"] is rising
    assert summary["gain"] == pytest.approx(np.mean(gains))
    assert (summary["half_workloads"], summary["full_workloads"]) == (6, 11)
    assert words in verdict(summary) and "cannot show what many more would give" in verdict(summary)


def test_no_half_size_point_means_no_verdict():
    curve = _curve([0.1, 0.1])
    assert summarize(curve[curve.fraction == 1.0]) is None and verdict(None) == ""
