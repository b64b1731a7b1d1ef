"""The deployed tree: fitted from the all-workload teacher, flattened to tree.json by
`treefile.from_sklearn`, and written out as rules in words and a drawing of its top levels."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dpdktune.dataset_arrays import Landscape
from dpdktune.distill.policy import Teacher
from dpdktune.distill.settings import DistillSettings
from dpdktune.distill.sweep import fit_student
from dpdktune.fingerprint import describe_feature_set
from dpdktune.rl.env import EnvSettings

#: Share of each feature's training span the range check tolerates beyond the recorded extremes.
RANGE_SLACK = 0.1


def fit_deployed(
    teacher: Teacher,
    landscape: Landscape,
    env_settings: EnvSettings,
    ds: DistillSettings,
    setting: dict[str, Any],
    decisions: int,
):
    """The student for `setting` (method, depth, min_samples_leaf, top_k) on every workload."""
    return fit_student(
        setting["method"],
        teacher,
        landscape,
        env_settings,
        ds,
        setting["depth"],
        setting["min_samples_leaf"],
        setting["top_k"],
        decisions,
        ds.seed,
        {},
    )


def tree_table(
    tree,
    teacher: Teacher,
    landscape: Landscape,
    ds: DistillSettings,
    method: str,
    inputs: dict[str, str],
    held_out: str | None = None,
) -> dict[str, Any]:
    """tree.json as a dict, through the format's single producer; the training rows give
    the bounds and the leaf boxes, and `normalization` records the RL state's standardisation.

    The safe default is the best static config by worst case. The novelty margin is calibrated
    on held-out in-distribution states (each config's last recorded trial, when there are two or
    more), then the boxes are rebuilt from every row; `fallback` records both measured rates.
    `held_out="workloads"` calibrates it on each training workload in turn, with the boxes built
    from the others (`fallback.calibrate_on_workloads`); None takes `ds.novelty_held_out`."""
    from dpdktune.distill.fallback import calibrate, calibrate_on_workloads, safe_default
    from dpdktune.treefile import from_sklearn, validate

    names = list(landscape.feature_names)
    safe = safe_default(landscape.mean_objective())
    knobs = landscape.grid[safe]
    # inputs reach the generated C header too, so the header says what the fallback runs and why
    inputs = {
        **inputs,
        "feature_set": describe_feature_set(names)["name"],
        "safe_default": f"{safe} = rx_desc {knobs.rx_desc}, tx_desc {knobs.tx_desc}, cores {knobs.cores}, "
        f"burst {knobs.burst} (static config with the best worst case)",
    }

    def rows(features: np.ndarray) -> np.ndarray:
        flat = features.reshape(-1, features.shape[-1])
        return teacher.normalizer.impute(flat[~np.all(np.isnan(flat), axis=1)])

    def build(X: np.ndarray, margin: float) -> dict[str, Any]:
        return from_sklearn(
            tree,
            names,
            list(landscape.grid),
            range_bounds(X),
            X,
            safe,
            ds.confidence_threshold,
            leaf_margin=margin,
            method=method,
            inputs=inputs,
        )

    X = rows(landscape.features)
    held_out = held_out or ds.novelty_held_out
    if held_out not in ("trials", "workloads"):
        raise ValueError(f"held_out: {held_out!r}; expected trials or workloads")
    if held_out == "workloads" and len(landscape.workloads) >= 2:
        folds = [
            (rows(np.delete(landscape.features, i, axis=0)), rows(landscape.features[i : i + 1]))
            for i in range(len(landscape.workloads))
        ]
        gate = calibrate_on_workloads(build, folds, ds.max_false_fallback, ds.seed)
    elif landscape.features.shape[2] >= 2:
        fit_rows, held = rows(landscape.features[:, :, :-1]), rows(landscape.features[:, :, -1:])
        gate = calibrate(lambda m: build(fit_rows, m), held, ds.max_false_fallback, ds.seed)
    else:  # one trial: nothing held out to calibrate on
        gate = {"margin": ds.leaf_margin, "false_fallback_rate": None, "out_of_range_fallback_rate": None}
    table = build(X, gate["margin"])
    table["normalization"] = teacher.normalizer.to_dict()
    table["feature_set"] = describe_feature_set(names)
    table["fallback"] = {
        "safe_default": "static config with the best worst case over the training workloads",
        "safe_default_config": table["configs"][safe],
        **gate,
    }
    validate(table)
    return table


def range_bounds(X: np.ndarray, slack: float = RANGE_SLACK) -> dict[str, list[float]]:
    """The training range per feature, widened by `slack` x its span on both sides, so that a new
    measurement a little past the largest one recorded (noise) is not out of range."""
    from dpdktune.treefile import fit_bounds

    b = fit_bounds(X)
    lo, hi = np.asarray(b["min"]), np.asarray(b["max"])
    pad = slack * (hi - lo)
    return {"min": (lo - pad).tolist(), "max": (hi + pad).tolist()}


def _config_words(config: dict[str, int]) -> str:
    return f"rx_desc={config['rx_desc']}, tx_desc={config['tx_desc']}, cores={config['cores']}, burst={config['burst']}"


def rules_in_words(table: dict[str, Any]) -> list[str]:
    """One sentence per leaf: the conditions on the path from the root and the config it picks."""
    nodes, features, configs = table["nodes"], table["features"], table["configs"]
    out = []

    def walk(i: int, conditions: list[str]) -> None:
        node = nodes[i]
        if node["left"] == -1:
            when = " and ".join(conditions) if conditions else "always"
            out.append(
                f"If {when}: run {_config_words(configs[node['action']])} "
                f"({node['samples']} training states, confidence {node['confidence']:.2f})."
            )
            return
        name, t = features[node["feature"]], node["threshold"]
        walk(node["left"], conditions + [f"{name} <= {t:.4g}"])
        walk(node["right"], conditions + [f"{name} > {t:.4g}"])

    walk(0, [])
    return out


def _majority(nodes: Sequence[dict], i: int) -> tuple[int, int]:
    """(action, samples) that most training states under node i end in."""
    votes: dict[int, int] = {}
    stack = [i]
    while stack:
        j = stack.pop()
        if nodes[j]["left"] == -1:
            votes[nodes[j]["action"]] = votes.get(nodes[j]["action"], 0) + nodes[j]["samples"]
        else:
            stack += [nodes[j]["left"], nodes[j]["right"]]
    action = max(votes, key=votes.get)
    return action, nodes[i]["samples"]


def top_levels(table: dict[str, Any], levels: int = 3) -> list[str]:
    """The tree drawn as indented text down to `levels`; deeper subtrees show their majority config."""
    nodes, features, configs = table["nodes"], table["features"], table["configs"]
    lines = []

    def walk(i: int, depth: int, label: str) -> None:
        node, indent = nodes[i], "    " * depth
        if node["left"] == -1 or depth == levels:
            action, n = _majority(nodes, i)
            more = "" if node["left"] == -1 else ", majority of a deeper subtree"
            lines.append(f"{indent}{label}run {_config_words(configs[action])} [{n} states{more}]")
            return
        lines.append(f"{indent}{label}{features[node['feature']]} <= {node['threshold']:.4g} ?")
        walk(node["left"], depth + 1, "yes: ")
        walk(node["right"], depth + 1, "no:  ")

    walk(0, 0, "")
    return lines


def _top_layout(table: dict[str, Any], levels: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(boxes, edges) of the top `levels` levels: drawn leaves spread evenly left to right in
    tree order, each split centred over its children, depth downwards."""
    nodes, features, configs = table["nodes"], table["features"], table["configs"]
    boxes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []

    def place(i: int, depth: int) -> float:
        node = nodes[i]
        if node["left"] == -1 or depth == levels:
            action, n = _majority(nodes, i)
            c = configs[action]
            more = "" if node["left"] == -1 else "\n(majority below)"
            label = f"run {c['rx_desc']}/{c['tx_desc']}/{c['cores']}c/{c['burst']}b\n{n} states{more}"
            x = float(sum(b["kind"] == "leaf" for b in boxes))
            boxes.append({"x": x, "y": -depth, "label": label, "kind": "leaf"})
            return x
        xs = [place(node[side], depth + 1) for side in ("left", "right")]
        x = sum(xs) / 2
        for side, child_x in zip(("yes", "no"), xs):
            edges.append(
                {
                    "x": x,
                    "y": -depth,
                    "xend": child_x,
                    "yend": -depth - 1,
                    "side": side,
                    "mx": (x + child_x) / 2 + (-0.08 if side == "yes" else 0.08),
                    "my": -depth - 0.5,
                }
            )
        boxes.append(
            {
                "x": x,
                "y": -depth,
                "kind": "split",
                "label": f"{features[node['feature']]} <= {node['threshold']:.4g}\n{node['samples']} states",
            }
        )
        return x

    place(0, 0)
    return boxes, edges


def draw_top(table: dict[str, Any], path: str | Path, levels: int = 3) -> Path:
    """The top `levels` levels of tree.json's tree (plotnine), saved by `save_figure`; the format
    follows the suffix (the distill rule writes an SVG). Deeper subtrees show their majority config."""
    import pandas as pd
    from plotnine import (
        aes,
        geom_label,
        geom_segment,
        geom_text,
        ggplot,
        scale_fill_manual,
        scale_x_continuous,
        scale_y_continuous,
        theme_void,
    )

    from dpdktune.analysis.figures import save_figure

    boxes, edges = _top_layout(table, levels)
    boxes, edges = pd.DataFrame(boxes), pd.DataFrame(edges)
    n_leaves = int((boxes.kind == "leaf").sum())
    depth = int(-boxes.y.min())
    plot = ggplot()
    if len(edges):  # a one-leaf tree has none
        plot += geom_segment(edges, aes("x", "y", xend="xend", yend="yend"), color="#777777")
        plot += geom_text(edges, aes("mx", "my", label="side"), size=7, color="#555555")
    plot += [
        geom_label(boxes, aes("x", "y", label="label", fill="kind"), size=7, label_size=0.3),
        scale_fill_manual(values={"leaf": "#d5ecf9", "split": "#ffffff"}, guide=None),
        scale_x_continuous(limits=(-0.6, n_leaves - 0.4)),
        scale_y_continuous(limits=(-depth - 0.4, 0.4)),
        theme_void(),
    ]
    return save_figure(plot, path, max(8.0, min(1.4 * n_leaves, 24.0)), 1.6 * (depth + 1))


def leaf_agreement(tree, table: dict[str, Any], X: np.ndarray) -> float:
    """Fraction of states where the flattened table and scikit-learn pick the same action."""
    nodes = table["nodes"]
    X32 = np.asarray(X, np.float32)
    picks = []
    for x in X32:
        i = 0
        while nodes[i]["left"] != -1:
            i = nodes[i]["left"] if x[nodes[i]["feature"]] <= nodes[i]["threshold"] else nodes[i]["right"]
        picks.append(nodes[i]["action"])
    return float(np.mean(np.asarray(picks) == tree.predict(X32)))
