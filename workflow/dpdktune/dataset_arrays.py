"""The measured landscape as dense arrays: what any (workload, config, trial) looked like.

The replay environment, the offline dataset and every evaluation look trials up here instead of
filtering a DataFrame on each step. Features are `fingerprint.FINGERPRINT_FEATURES` observed
under each config; the objective is `objective.objective_values`; failed runs are NaN.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dpdktune.fingerprint import FINGERPRINT_FEATURES, default_knobs, feature_frame, feature_names
from dpdktune.knobs import Knobs, expand_grid
from dpdktune.objective import config_indices, objective_values


@dataclass(frozen=True)
class Landscape:
    workloads: tuple[str, ...]
    grid: tuple[Knobs, ...]
    #: raw features, shape (workloads, configs, trial slots, features); NaN where missing or failed
    features: np.ndarray
    #: objective per trial, shape (workloads, configs, trial slots); NaN where missing or failed
    objective: np.ndarray
    default_action: int
    #: the feature set of the last axis of `features` (config key `features`)
    feature_names: tuple[str, ...] = FINGERPRINT_FEATURES

    @classmethod
    def from_records(cls, records: pd.DataFrame, config: dict[str, Any], names=None) -> Landscape:
        """`names`: the features to hold (default: the config's feature set)."""
        grid = expand_grid(config["grid"])
        index = {k: i for i, k in enumerate(grid)}
        frame = records.reset_index(drop=True)
        actions = pd.Series(config_indices(frame, index), dtype="float")
        keep = actions.notna().to_numpy()
        frame, actions = frame[keep].reset_index(drop=True), actions[keep].astype(int).to_numpy()
        if frame.empty:
            raise ValueError("records: no record lies on the config grid")
        workloads = tuple(sorted(frame.workload.unique()))
        w_index = pd.Series(range(len(workloads)), index=workloads)
        w = w_index.loc[frame.workload].to_numpy()
        # Trials are numbered per (workload, config); slots keep them dense.
        slot = frame.groupby([frame.workload, actions]).cumcount().to_numpy()
        n_slots = int(slot.max()) + 1
        ok = (frame.status == "ok").to_numpy()
        names = tuple(names or feature_names(config))
        feats = feature_frame(frame, names).to_numpy(float)
        feats[~ok] = np.nan
        objective = objective_values(frame, config).to_numpy(float)
        shape = (len(workloads), len(grid), n_slots)
        features = np.full(shape + (len(names),), np.nan)
        obj = np.full(shape, np.nan)
        features[w, actions, slot] = feats
        obj[w, actions, slot] = objective
        default = index[default_knobs(config)]
        return cls(workloads, tuple(grid), features, obj, default, names)

    def subset(self, workloads: Sequence[str]) -> Landscape:
        """The landscape of only `workloads` (a train or test split)."""
        missing = sorted(set(workloads) - set(self.workloads))
        if missing:
            raise ValueError(f"workloads not in the dataset: {missing}")
        idx = [self.workloads.index(w) for w in workloads]
        return Landscape(
            tuple(workloads),
            self.grid,
            self.features[idx],
            self.objective[idx],
            self.default_action,
            self.feature_names,
        )

    def scorable(self, workloads: Sequence[str] | None = None) -> list[str]:
        """`workloads` (default: all) that some config serves: a positive mean objective somewhere.
        A workload no config can serve (e.g. none meets an SLO) gives no reward signal and no
        oracle to divide by, so training and scoring leave it out."""
        mean = np.nan_to_num(self.mean_objective(), nan=0.0)
        ok = {w for w, best in zip(self.workloads, mean.max(axis=1)) if best > 0}
        return [w for w in (self.workloads if workloads is None else workloads) if w in ok]

    @property
    def n_actions(self) -> int:
        return len(self.grid)

    def mean_objective(self) -> np.ndarray:
        """(workloads, configs): mean over successful trials; NaN where no trial succeeded."""
        with _quiet():
            return np.nanmean(self.objective, axis=2)

    def oracle(self) -> np.ndarray:
        """Per workload, the best mean objective over the grid."""
        mean = self.mean_objective()
        best = np.max(np.where(np.isnan(mean), -np.inf, mean), axis=1)
        if np.any(~np.isfinite(best)) or np.any(best <= 0):
            bad = [w for w, b in zip(self.workloads, best) if not (np.isfinite(b) and b > 0)]
            raise ValueError(f"workloads with no positive objective anywhere on the grid: {bad}")
        return best

    def normalized_mean(self) -> np.ndarray:
        """(workloads, configs): mean objective / oracle; a config that never ran scores 0."""
        return np.nan_to_num(self.mean_objective() / self.oracle()[:, None], nan=0.0)

    def mean_features(self) -> np.ndarray:
        """(workloads, configs, features): the trial-mean feature vector (deterministic state)."""
        with _quiet():
            return np.nanmean(self.features, axis=2)

    def all_feature_rows(self) -> np.ndarray:
        """Every observed raw feature vector (rows of failed runs dropped)."""
        rows = self.features.reshape(-1, self.features.shape[-1])
        return rows[~np.all(np.isnan(rows), axis=1)]


@contextmanager
def _quiet():
    """np.nanmean warns on all-NaN slices; those are failed configs, and NaN is the answer."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@dataclass(frozen=True)
class Normalizer:
    """Standardises raw features; a missing value maps to 0 (the training mean)."""

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, rows: np.ndarray) -> Normalizer:
        with _quiet():
            mean = np.nan_to_num(np.nanmean(rows, axis=0))
            scale = np.nan_to_num(np.nanstd(rows, axis=0))
        scale = np.where(scale > 1e-12, scale, 1.0)
        return cls(mean, scale)

    def transform(self, raw: np.ndarray) -> np.ndarray:
        z = (np.asarray(raw, float) - self.mean) / self.scale
        return np.clip(np.nan_to_num(z, nan=0.0), -10.0, 10.0).astype(np.float32)

    def inverse(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(z, float) * self.scale + self.mean

    def impute(self, raw: np.ndarray) -> np.ndarray:
        """Raw features with missing values replaced by the mean (what a tree is trained on)."""
        raw = np.asarray(raw, float)
        return np.where(np.isnan(raw), self.mean, raw)

    def to_dict(self) -> dict[str, list[float]]:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, d: dict[str, list[float]]) -> Normalizer:
        return cls(np.asarray(d["mean"], float), np.asarray(d["scale"], float))
