"""Static best: one config for every workload, chosen by average or worst-case performance."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from dpdktune.baselines._common import as_matrix, relative


class StaticBest(BaseEstimator):
    """The config with the best mean (criterion="mean") or best minimum ("worst") relative
    performance (objective / workload best) over the training samples."""

    def __init__(self, criterion: str = "mean"):
        self.criterion = criterion

    def fit(self, X, Y) -> "StaticBest":
        rel = relative(Y)
        if self.criterion == "mean":
            score = rel.mean(axis=0)
        elif self.criterion == "worst":
            score = rel.min(axis=0)
        else:
            raise ValueError(f"criterion: expected 'mean' or 'worst', got {self.criterion!r}")
        self.scores_ = score
        self.config_index_ = int(np.argmax(score))
        return self

    def predict(self, X) -> np.ndarray:
        return np.full(len(as_matrix(X)), self.config_index_, dtype=int)
