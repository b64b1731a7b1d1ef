"""Decision tree (depth 5): fingerprint -> best config index, as a classifier."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.tree import DecisionTreeClassifier

from dpdktune.baselines._common import as_matrix, impute, relative


class TreeBaseline(BaseEstimator):
    def __init__(self, max_depth: int = 5, random_state: int = 0):
        self.max_depth = max_depth
        self.random_state = random_state

    def fit(self, X, Y) -> TreeBaseline:
        x, self.fill_ = impute(as_matrix(X))
        self.model_ = DecisionTreeClassifier(max_depth=self.max_depth, random_state=self.random_state)
        self.model_.fit(x, relative(Y).argmax(axis=1))
        return self

    def predict(self, X) -> np.ndarray:
        x, _ = impute(as_matrix(X), self.fill_)
        return self.model_.predict(x).astype(int)
