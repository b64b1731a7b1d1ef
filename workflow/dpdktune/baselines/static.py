"""Static best: one config for every workload, chosen by average or worst-case performance."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from dpdktune.baselines._common import as_matrix, relative


class StaticBest(BaseEstimator):
    """The config with the best mean (criterion="mean") or best minimum ("worst") relative
    performance (objective / workload best) over the training samples.

    "worst" ignores samples whose workload no config serves (every value 0 or failed): they
    say nothing about which config is safest, and counting them makes every config's minimum
    0. Configs tied on the worst case are told apart by their mean.
    """

    def __init__(self, criterion: str = "mean"):
        self.criterion = criterion

    def fit(self, X, Y) -> StaticBest:
        rel = relative(Y)
        mean = rel.mean(axis=0) if len(rel) else np.zeros(rel.shape[1])
        if self.criterion == "mean":
            score = mean
        elif self.criterion == "worst":
            served = rel.max(axis=1) > 0
            worst = rel[served].min(axis=0) if served.any() else np.zeros(rel.shape[1])
            self.unserved_samples_ = int((~served).sum())
            score = worst + 1e-9 * mean  # ties on the worst case go to the better mean
        else:
            raise ValueError(f"criterion: expected 'mean' or 'worst', got {self.criterion!r}")
        self.scores_ = score
        self.config_index_ = int(np.argmax(score))
        return self

    def predict(self, X) -> np.ndarray:
        return np.full(len(as_matrix(X)), self.config_index_, dtype=int)
