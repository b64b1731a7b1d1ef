"""Leave-workload-out splits, shared by the baselines and the RL evaluation, and the interval
over them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats


def held_out_count(n_workloads: int, test_fraction: float) -> int:
    """How many of `n_workloads` each split holds out for testing (at least one)."""
    return max(1, int(round(n_workloads * test_fraction)))


def workload_splits(
    workloads: Sequence[str], repeats: int, test_fraction: float, seed: int
) -> list[tuple[list[str], list[str]]]:
    """`repeats` seeded (train, test) partitions of the workloads; no workload is in both.

    Test sets are consecutive chunks of a stream of seeded permutations, so every workload is
    held out equally often (within one) instead of by chance: with independent draws, some
    workloads would be scored far more often than others, or never.
    """
    names = sorted(workloads)
    n_test = held_out_count(len(names), test_fraction)
    if n_test >= len(names):
        raise ValueError(f"test_fraction={test_fraction} leaves no training workloads out of {len(names)}")
    rng = np.random.default_rng(seed)
    stream: list[int] = []
    splits = []
    for _ in range(repeats):
        test_idx: list[int] = []
        while len(test_idx) < n_test:
            if all(i in test_idx for i in stream):
                stream += [int(i) for i in rng.permutation(len(names))]
            # a name repeated across a permutation boundary waits for a later split
            i = next(i for i in stream if i not in test_idx)
            stream.remove(i)
            test_idx.append(i)
        test = sorted(names[i] for i in test_idx)
        train = sorted(n for n in names if n not in test)
        splits.append((train, test))
    return splits


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): a Student-t interval over independent repeats (splits)."""
    x = np.asarray(values, float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (np.nan, np.nan, np.nan)
    m = float(x.mean())
    if x.size == 1:
        return (m, m, m)
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return (m, m - half, m + half)
