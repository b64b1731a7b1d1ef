"""Simple tuning baselines (static best, rules, lookup table, linear), scored leave-workload-out against the oracle.

Every baseline is a scikit-learn-style estimator:

- `fit(X, Y)`: X is (n_samples, n_features) fingerprints (FINGERPRINT_FEATURES, observed
  under the default config); Y is (n_samples, n_configs), the objective of each sample's
  workload under every config of the grid (`objective.objective_table` rows; NaN = failed).
- `predict(X) -> ndarray[int]`: a config index (into `knobs.expand_grid`) per sample.

`__init__` only stores parameters; learned attributes end in `_`.
"""

from dpdktune.baselines.linear import LinearBaseline
from dpdktune.baselines.lookup import LookupTable
from dpdktune.baselines.oracle import Oracle
from dpdktune.baselines.rules import RuleBased
from dpdktune.baselines.static import StaticBest
from dpdktune.baselines.tree import TreeBaseline

__all__ = ["LinearBaseline", "LookupTable", "Oracle", "RuleBased", "StaticBest", "TreeBaseline"]
