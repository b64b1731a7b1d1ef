from collections import Counter

import numpy as np
import pytest
from dpdktune.splits import mean_ci, workload_splits

NAMES = [f"w{i}" for i in range(15)]


@pytest.mark.parametrize("repeats, fraction", [(10, 0.3), (13, 0.34), (20, 0.2), (7, 0.5)])
def test_every_workload_is_held_out_equally_often_and_never_trained_on(repeats, fraction):
    splits = workload_splits(NAMES, repeats, fraction, seed=3)
    assert len(splits) == repeats
    held = Counter(w for _, test in splits for w in test)
    assert set(held) == set(NAMES)
    assert max(held.values()) - min(held.values()) <= 1
    for train, test in splits:
        assert not set(train) & set(test) and sorted(train + test) == sorted(NAMES)


def test_splits_are_seeded():
    assert workload_splits(NAMES, 10, 0.3, 1) == workload_splits(NAMES, 10, 0.3, 1)
    assert workload_splits(NAMES, 10, 0.3, 1) != workload_splits(NAMES, 10, 0.3, 2)


def test_mean_ci_is_a_t_interval():
    mean, lo, hi = mean_ci([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert hi - mean == pytest.approx(4.302653 * 1.0 / np.sqrt(3), rel=1e-5)
    assert mean_ci([0.5]) == (0.5, 0.5, 0.5)
