"""Value-aware extraction: a tree fitted to the teacher's whole Q-vector, not to its argmax.

The states are argmax-Q extraction's (every recorded state of the training workloads plus
synthetic ones between them); the target of each is the teacher's Q over every action. The
tree's splits minimise the squared error of that vector and each leaf runs the action with
the best mean Q over its states (`fit.fit_value_tree`): where many configs tie, a leaf keeps
the config that is good across its states instead of the tie-winner of most of them.

`recorded_values` is the same fit without a teacher: every recorded state of a training
workload, with the value every config measured on that workload (objective / its oracle) as
the target. It is the yardstick of what the features allow: a student of the RL teacher that
does worse on unseen workloads loses it in the teacher, not in the tree.
"""

from __future__ import annotations

import numpy as np

from dpdktune.dataset_arrays import Landscape
from dpdktune.distill.extract import dense_states
from dpdktune.distill.policy import Teacher


def value_data(teacher: Teacher, landscape: Landscape, synthetic: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(states, the teacher's Q-values there: states x actions)."""
    if not teacher.has_q:
        raise ValueError(f"distill.methods: value needs a Q-learning teacher, not {teacher.algorithm!r}")
    X = dense_states(landscape, teacher.normalizer, synthetic, seed)
    return X, teacher.q_raw(X)


def recorded_values(landscape: Landscape, normalizer) -> tuple[np.ndarray, np.ndarray]:
    """(recorded raw states, imputed; per state the objective / oracle of every config on its workload)."""
    n_w, n_c, n_s, n_f = landscape.features.shape
    rows = landscape.features.reshape(-1, n_f)
    values = np.repeat(landscape.normalized_mean(), n_c * n_s, axis=0)  # same (workload, config, slot) order
    seen = ~np.all(np.isnan(rows), axis=1)
    return normalizer.impute(rows[seen]), values[seen]
