"""Fitting one student tree: depth, min samples per leaf and top-K feature selection.

Top-K keeps the full feature vector (the node table always indexes the whole feature set)
and makes the unselected columns constant, so the tree can never split on them.
"""

from __future__ import annotations

import numpy as np
from sklearn.tree import DecisionTreeClassifier


def leaf_rows(min_samples_leaf: float) -> int | float:
    """`min_samples_leaf` as scikit-learn reads it: a row count from 1 up, a share of the rows below 1.
    A share pools every leaf over several training workloads whatever the campaign's size."""
    return int(min_samples_leaf) if min_samples_leaf >= 1 else float(min_samples_leaf)


def top_k(X: np.ndarray, y: np.ndarray, w: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Boolean mask of the `k` most important features (0 = all) by an unrestricted tree's importance."""
    n = X.shape[1]
    if k <= 0 or k >= n:
        return np.ones(n, bool)
    full = DecisionTreeClassifier(random_state=seed).fit(X, y, sample_weight=w)
    order = np.argsort(-full.feature_importances_, kind="stable")
    mask = np.zeros(n, bool)
    mask[order[:k]] = True
    return mask


def fit_tree(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None,
    depth: int,
    min_samples_leaf: float,
    mask: np.ndarray | None,
    seed: int,
) -> DecisionTreeClassifier:
    """A tree on raw float32 features (missing imputed upstream); masked-out columns held at 0."""
    X = np.asarray(X, np.float32).copy()
    if mask is not None:
        X[:, ~mask] = 0.0
    tree = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=leaf_rows(min_samples_leaf), random_state=seed)
    return tree.fit(X, y, sample_weight=w)


def near_best(values: np.ndarray, tolerance: float = 0.05) -> np.ndarray:
    """(states, actions) bool: the action is within `tolerance` of the state's value range from its best."""
    v = np.asarray(values, float)
    best, worst = v.max(axis=1, keepdims=True), v.min(axis=1, keepdims=True)
    return v >= best - tolerance * (best - worst)


def fit_value_tree(
    X: np.ndarray, values: np.ndarray, depth: int, min_samples_leaf: float, mask: np.ndarray | None, seed: int
) -> DecisionTreeClassifier:
    """A value-aware tree: a multi-output regression tree on each state's value of every action
    (splits that most reduce the squared error of the whole value vector), and each leaf runs
    the action with the best mean value over its states, not the most frequent argmax label.

    Many configs tie on a flat landscape and the teacher's argmax among them is close to noise;
    an argmax classifier spends its depth separating those labels and, on an unseen workload,
    lands on one tie-winner of a training workload. The mean value picks the action that is good
    for every state of the leaf. Returned as a DecisionTreeClassifier (classes = action indices)
    with the regressor's splits, so everything downstream (tree.json, C, drawing) reads it as
    any student; a leaf's class weights are its confidence: the share of its states for which
    the chosen action is near-best, the rest spread evenly over the other actions."""
    from sklearn.tree import DecisionTreeRegressor
    from sklearn.tree._tree import Tree

    X = np.asarray(X, np.float32).copy()
    if mask is not None:
        X[:, ~mask] = 0.0
    V = np.asarray(values, float)
    n_actions = V.shape[1]
    leaf = leaf_rows(min_samples_leaf)
    reg = DecisionTreeRegressor(max_depth=depth, min_samples_leaf=leaf, random_state=seed).fit(X, V)
    state = reg.tree_.__getstate__()
    mean = state["values"][:, :, 0]  # (nodes, actions): mean value of each action over the node's states
    action = mean.argmax(axis=1)
    good = near_best(V)
    node_of = reg.apply(X)
    share = np.zeros(len(mean))
    for node in np.unique(node_of):
        share[node] = good[node_of == node, action[node]].mean()
    # internal nodes: the share over every state below them
    indicator = reg.decision_path(X).tocsc()
    for node in range(len(mean)):
        if state["nodes"]["left_child"][node] != -1:
            rows = indicator[:, node].nonzero()[0]
            share[node] = good[rows, action[node]].mean() if len(rows) else 0.0
    floor = 1.0 / n_actions + 1e-6  # the chosen action must stay the argmax of the weights
    conf = np.maximum(share, floor) if n_actions > 1 else np.ones(len(mean))
    weights = np.repeat(((1.0 - conf) / max(1, n_actions - 1))[:, None], n_actions, axis=1)
    weights[np.arange(len(mean)), action] = conf
    tree = Tree(X.shape[1], np.array([n_actions], dtype=np.intp), 1)
    tree.__setstate__({**state, "values": weights[:, None, :].astype(np.float64)})
    clf = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=leaf, random_state=seed)
    clf.tree_ = tree
    clf.classes_ = np.arange(n_actions)
    clf.n_classes_ = n_actions
    clf.n_outputs_ = 1
    clf.n_features_in_ = X.shape[1]
    clf.max_features_ = X.shape[1]
    return clf
