"""Linear model: ridge regression from standardised metrics to the optimal knobs (log2), snapped to the grid."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from dpdktune.baselines._common import as_matrix, grid_log2, impute, relative


class LinearBaseline(BaseEstimator):
    """Predicts log2(rx_desc, tx_desc, cores, burst) of the best config, then the nearest grid config."""

    def __init__(self, grid, alpha: float = 1.0):
        self.grid = grid
        self.alpha = alpha

    def fit(self, X, Y) -> LinearBaseline:
        x, self.fill_ = impute(as_matrix(X))
        self.grid_log2_ = grid_log2(self.grid)
        target = self.grid_log2_[relative(Y).argmax(axis=1)]
        self.model_ = make_pipeline(StandardScaler(), Ridge(alpha=self.alpha)).fit(x, target)
        return self

    def predict(self, X) -> np.ndarray:
        x, _ = impute(as_matrix(X), self.fill_)
        knobs = self.model_.predict(x)
        return ((knobs[:, None, :] - self.grid_log2_[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
