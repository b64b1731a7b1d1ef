"""Rule-based: a short if-else list on the top fingerprint metrics, thresholds grid-searched."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator

from dpdktune.baselines._common import as_matrix, grid_log2, impute, rank_features, relative


@dataclass(frozen=True)
class Rule:
    feature: int
    above: bool  # the rule fires when x > threshold (else when x <= threshold)
    threshold: float
    config_index: int

    def fires(self, x: np.ndarray) -> np.ndarray:
        v = x[:, self.feature]
        return v > self.threshold if self.above else v <= self.threshold


class RuleBased(BaseEstimator):
    """An ordered list of at most `max_rules` rules "if metric > t: config c", then a default.

    Fit greedily: each step grid-searches (metric among the `n_features` top-ranked, side,
    threshold among `n_thresholds` quantiles) for the rule that, applied to the samples no
    earlier rule takes, most raises the total relative performance (with the default re-fitted
    as the static best of what is left). Stops early when no rule gains.
    """

    def __init__(self, grid, max_rules: int = 4, n_features: int = 5, n_thresholds: int = 9, min_samples: int = 2):
        self.grid = grid
        self.max_rules = max_rules
        self.n_features = n_features
        self.n_thresholds = n_thresholds
        self.min_samples = min_samples

    def fit(self, X, Y) -> RuleBased:
        x, self.fill_ = impute(as_matrix(X))
        rel = relative(Y)
        best_knobs = grid_log2(self.grid)[rel.argmax(axis=1)]
        self.features_ = rank_features(x, best_knobs)[: self.n_features]
        rules: list[Rule] = []
        free = np.ones(len(x), dtype=bool)
        default = int(rel.mean(axis=0).argmax())
        for _ in range(self.max_rules):
            found = self._best_rule(x, rel, free, default)
            if found is None:
                break
            rules.append(found)
            free &= ~found.fires(x)
            if free.any():
                default = int(rel[free].mean(axis=0).argmax())
        self.rules_ = rules
        self.default_ = default
        return self

    def _best_rule(self, x, rel, free, default) -> Rule | None:
        """The rule that most raises the list's total relative performance on the training
        samples, counting the default re-fitted to what the rule leaves free."""
        rest_now = rel[free].mean(axis=0).max() * free.sum() if free.any() else 0.0
        best, best_total = None, rest_now + 1e-9
        qs = np.linspace(0, 1, self.n_thresholds + 2)[1:-1]
        for f in self.features_:
            for t in np.unique(np.quantile(x[free, f], qs)) if free.any() else []:
                for above in (True, False):
                    hit = free & ((x[:, f] > t) if above else (x[:, f] <= t))
                    rest = free & ~hit
                    if hit.sum() < self.min_samples or not rest.any():
                        continue
                    sub = rel[hit].sum(axis=0)
                    c = int(sub.argmax())
                    total = sub[c] + rel[rest].sum(axis=0).max()
                    if total > best_total:
                        best, best_total = Rule(int(f), above, float(t), c), total
        return best

    def predict(self, X) -> np.ndarray:
        x, _ = impute(as_matrix(X), self.fill_)
        out = np.full(len(x), self.default_, dtype=int)
        taken = np.zeros(len(x), dtype=bool)
        for rule in self.rules_:
            hit = ~taken & rule.fires(x)
            out[hit] = rule.config_index
            taken |= hit
        return out

    def describe(self, feature_names, grid) -> list[str]:
        """The fitted rules as readable if-else lines."""
        lines = []
        for i, r in enumerate(self.rules_):
            k = grid[r.config_index]
            op = ">" if r.above else "<="
            lines.append(
                f"{'if' if i == 0 else 'elif'} {feature_names[r.feature]} {op} {r.threshold:.4g}: "
                f"rx={k.rx_desc} tx={k.tx_desc} cores={k.cores} burst={k.burst}"
            )
        k = grid[self.default_]
        lines.append(f"else: rx={k.rx_desc} tx={k.tx_desc} cores={k.cores} burst={k.burst}")
        return lines
