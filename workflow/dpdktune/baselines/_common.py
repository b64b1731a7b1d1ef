"""Helpers the baselines share: relative targets and feature ranking."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats


def as_matrix(X) -> np.ndarray:
    return np.asarray(X.to_numpy() if isinstance(X, pd.DataFrame) else X, dtype=float)


def relative(Y) -> np.ndarray:
    """Each row divided by its best; a failed config (NaN) counts as 0."""
    y = np.nan_to_num(np.asarray(Y, dtype=float), nan=0.0)
    best = y.max(axis=1, keepdims=True)
    return np.divide(y, best, out=np.zeros_like(y), where=best > 0)


def impute(x: np.ndarray, fill: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """NaN features replaced by `fill` (default: column medians of `x`)."""
    if fill is None:
        with np.errstate(all="ignore"):
            fill = np.nan_to_num(np.nanmedian(x, axis=0)) if len(x) else np.zeros(x.shape[1])
    return np.where(np.isnan(x), fill, x), fill


def rank_features(x: np.ndarray, best_knobs: np.ndarray) -> np.ndarray:
    """Feature indices, most informative first: max |Spearman rho| with any log2 optimal knob."""
    scores = np.zeros(x.shape[1])
    for j in range(x.shape[1]):
        if np.nanstd(x[:, j]) == 0:
            continue
        for k in range(best_knobs.shape[1]):
            if np.std(best_knobs[:, k]) == 0:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", stats.ConstantInputWarning)  # constant once NaNs drop
                rho = stats.spearmanr(x[:, j], best_knobs[:, k], nan_policy="omit").statistic
            scores[j] = max(scores[j], abs(np.nan_to_num(rho)))
    return np.argsort(-scores, kind="stable")


def grid_log2(grid) -> np.ndarray:
    """(n_configs, 4) log2 knob values of a grid (a sequence of `Knobs`)."""
    return np.log2(np.array([[k.rx_desc, k.tx_desc, k.cores, k.burst] for k in grid], dtype=float))
