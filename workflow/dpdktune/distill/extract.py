"""Direct extraction: a tree fitted to argmax-Q over a dense sample of the state space.

The sample is every state recorded in the training workloads' landscape (each config and
trial), plus `synthetic` points between random pairs of them, jittered by 5 % of a feature's
spread: states the dataset makes plausible but never recorded.
"""

from __future__ import annotations

import numpy as np

from dpdktune.dataset_arrays import Landscape
from dpdktune.distill.policy import Teacher


def dense_states(landscape: Landscape, normalizer, synthetic: int, seed: int) -> np.ndarray:
    rows = normalizer.impute(landscape.all_feature_rows())
    rng = np.random.default_rng(seed)
    a, b = rng.integers(len(rows), size=(2, synthetic))
    mix = rng.random((synthetic, 1))
    between = mix * rows[a] + (1 - mix) * rows[b]
    between += rng.standard_normal(between.shape) * 0.05 * normalizer.scale
    return np.vstack([rows, np.maximum(between, 0.0)])  # every fingerprint feature is >= 0


def extract_data(
    teacher: Teacher, landscape: Landscape, synthetic: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(states, argmax-Q actions, unit weights)."""
    X = dense_states(landscape, teacher.normalizer, synthetic, seed)
    return X, teacher.act_raw(X), np.ones(len(X))
