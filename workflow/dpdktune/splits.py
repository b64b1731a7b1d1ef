"""Leave-workload-out splits, shared by the baselines and the RL evaluation."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def workload_splits(
    workloads: Sequence[str], repeats: int, test_fraction: float, seed: int
) -> list[tuple[list[str], list[str]]]:
    """`repeats` seeded random (train, test) partitions of the workloads; no workload is in both."""
    names = sorted(workloads)
    n_test = max(1, int(round(len(names) * test_fraction)))
    if n_test >= len(names):
        raise ValueError(f"test_fraction={test_fraction} leaves no training workloads out of {len(names)}")
    rng = np.random.default_rng(seed)
    splits = []
    for _ in range(repeats):
        order = rng.permutation(len(names))
        test = sorted(names[i] for i in order[:n_test])
        train = sorted(names[i] for i in order[n_test:])
        splits.append((train, test))
    return splits
