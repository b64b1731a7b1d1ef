"""Lookup table: a few entries keyed by a fingerprint of top metrics, matched by nearest neighbour."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning

from dpdktune.baselines._common import as_matrix, grid_log2, impute, rank_features, relative


class LookupTable(BaseEstimator):
    """`n_entries` keys (k-means centroids of the standardised top-`n_key_features` metrics of
    the training samples); each key's value is the config best on average for its members."""

    def __init__(self, grid, n_entries: int = 16, n_key_features: int = 4, random_state: int = 0):
        self.grid = grid
        self.n_entries = n_entries
        self.n_key_features = n_key_features
        self.random_state = random_state

    def fit(self, X, Y) -> LookupTable:
        x, self.fill_ = impute(as_matrix(X))
        rel = relative(Y)
        self.features_ = rank_features(x, grid_log2(self.grid)[rel.argmax(axis=1)])[: self.n_key_features]
        keys = x[:, self.features_]
        self.mean_, self.scale_ = keys.mean(axis=0), keys.std(axis=0)
        self.scale_[self.scale_ == 0] = 1.0
        z = (keys - self.mean_) / self.scale_
        n = min(self.n_entries, len(np.unique(z, axis=0)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # near-duplicate fingerprints
            km = KMeans(n_clusters=n, n_init=4, random_state=self.random_state).fit(z)
        used = np.unique(km.labels_)  # k-means can leave an entry empty on duplicate points
        self.keys_ = km.cluster_centers_[used]
        self.values_ = np.array([int(rel[km.labels_ == e].mean(axis=0).argmax()) for e in used], dtype=int)
        return self

    def predict(self, X) -> np.ndarray:
        x, _ = impute(as_matrix(X), self.fill_)
        z = (x[:, self.features_] - self.mean_) / self.scale_
        nearest = ((z[:, None, :] - self.keys_[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        return self.values_[nearest]
