"""The oracle: the measured best config of each workload (the upper bound, not deployable)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator


class Oracle(BaseEstimator):
    """Looks each sample's workload up in `table` (workload x config objective) and picks its best.

    `X` must be a DataFrame whose index has a "workload" level (as `fingerprint.fingerprints`).
    With `trials` (index (workload, trial), as `objective.trial_table`) a sample of trial t
    gets the config best on the mean of the workload's other trials, so the oracle is never
    scored on the trial it was chosen on.
    """

    def __init__(self, table: pd.DataFrame, trials: pd.DataFrame | None = None):
        self.table = table
        self.trials = trials

    def fit(self, X, Y) -> Oracle:
        from dpdktune.baselines.evaluate import _held_out

        self.best_ = self.table.fillna(-np.inf).to_numpy().argmax(axis=1)
        self.workloads_ = {w: i for i, w in enumerate(self.table.index)}
        held = _held_out(self.table, self.trials) if self.trials is not None else None
        self.held_out_ = None if held is None else held[1].to_dict()
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        names = X.index.get_level_values("workload")
        if self.held_out_ is not None:
            trials = X.index.get_level_values("trial")
            return np.array(
                [self.held_out_.get((w, t), self.best_[self.workloads_[w]]) for w, t in zip(names, trials)], dtype=int
            )
        return np.array([self.best_[self.workloads_[w]] for w in names], dtype=int)
