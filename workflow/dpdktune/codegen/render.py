"""Render the compiled tree into C through the Jinja templates in csrc/templates/.

Every float is printed with `%.9g` (enough digits for float32 to round-trip) and checked to
parse back to the very same float32; thresholds are already the largest float32 <= the
scikit-learn threshold (treelayout.float32_at_most), so the C comparison `x > thr` is exact.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import jinja2
import numpy as np

from dpdktune import __version__
from dpdktune.paths import project_file
from dpdktune.treelayout import CompiledTree, compile_table, feature_hash

#: the project's C sources and templates (the working directory's, else the packaged ones)
CSRC = project_file("csrc")
TEMPLATE = "fastpath_tree.c.j2"


def c_float(value) -> str:
    """A C float literal that parses to exactly this float32."""
    v = np.float32(value)
    if np.isnan(v):
        raise ValueError("c_float: NaN has no place in a generated tree")
    if np.isinf(v):
        return "INFINITY" if v > 0 else "-INFINITY"
    text = f"{float(v):.9g}"
    if np.float32(text) != v or (v == 0 and np.signbit(v) != text.startswith("-")):
        raise AssertionError(f"c_float: {text} does not round-trip to {v!r}")
    if "e" not in text and "." not in text:
        text += ".0"
    return text + "f"


def table_sha256(table: dict[str, Any]) -> str:
    """Hash of the tree.json content, independent of whitespace and key order."""
    return hashlib.sha256(json.dumps(table, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(CSRC / "templates")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _leaf_slots(tree: CompiledTree) -> np.ndarray:
    """Which slots are leaves: they link to themselves with thr = +inf."""
    return (tree.child == np.arange(len(tree.thr))) & np.isinf(tree.thr)


def _node_rows(tree: CompiledTree, leaves: np.ndarray) -> list[dict[str, Any]]:
    rows = []
    for i in range(len(tree.thr)):
        child, feature = int(tree.child[i]), int(tree.feature[i])
        if leaves[i]:
            comment = f"leaf {int(tree.leaf_of[i])} -> config {int(tree.leaf_action[tree.leaf_of[i]])}"
        else:
            comment = f"{tree.features[feature]} <= thr ? {child} : {child + 1}"
        rows.append({"thr": c_float(tree.thr[i]), "child": child, "feature": feature, "comment": comment})
    return rows


def _nested(tree: CompiledTree, leaves: np.ndarray, slot: int, depth: int) -> list[str]:
    """Nested comparisons from `slot`: `x > thr` goes to the second child, as in fp_walk."""
    pad = "\t" * depth
    child = int(tree.child[slot])
    if leaves[slot]:
        leaf = int(tree.leaf_of[slot])
        return [f"{pad}return {leaf}u; /* config {int(tree.leaf_action[leaf])} */"]
    f = int(tree.feature[slot])
    return [
        f"{pad}if (x[{f}] > {c_float(tree.thr[slot])}) {{ /* {tree.features[f]} */",
        *_nested(tree, leaves, child + 1, depth + 1),
        f"{pad}}}",
        *_nested(tree, leaves, child, depth),
    ]


def _flat(tree: CompiledTree, leaves: np.ndarray) -> dict[str, Any]:
    """Every split as one bit of `bits` (`x > thr`, as in fp_walk) and the leaf each pattern of
    bits reaches: the split bits are computed at once, the leaf is one table read."""
    splits = [int(s) for s in np.flatnonzero(~leaves)]
    bit_of = {slot: b for b, slot in enumerate(splits)}
    leaf_by_bits = []
    for bits in range(1 << len(splits)):
        slot = 0
        while not leaves[slot]:
            slot = int(tree.child[slot]) + (bits >> bit_of[slot] & 1)
        leaf_by_bits.append(f"{int(tree.leaf_of[slot])}u")
    terms = [f"(uint32_t)(x[{int(tree.feature[s])}] > {c_float(tree.thr[s])}) << {b}" for b, s in enumerate(splits)]
    return {
        "bits": " | ".join(terms) or "0u",
        "leaf_by_bits": leaf_by_bits,
        "split_features": [tree.features[int(tree.feature[s])] for s in splits],
    }


WALKS = ("table", "nested", "flat")
#: the most leaves the flat walk compiles (its leaf table has 2^(leaves - 1) entries)
FLAT_MAX_LEAVES = 8
#: auto picks flat up to this many four-wide box steps per decision (leaves x ceil(features / 4)):
#: fastpath_bench.py measured flat 1-3 ns ahead of nested on fresh rows at 9 and 12, level at 16
FLAT_AUTO_BOX_STEPS = 12


def resolve_walk(walk: str, n_leaves: int, n_features: int) -> str:
    """The walk a codegen.walk setting compiles for a tree of `n_leaves` leaves on `n_features`.

    "auto" is flat while checking every leaf's box is cheap (FLAT_AUTO_BOX_STEPS): no branch then
    depends on the input, so a decision costs the same whether or not the branch predictor has seen
    one like it. Otherwise nested, the faster of table and nested at every depth measured (2-20).
    """
    if walk not in ("auto", *WALKS):
        raise ValueError(f"codegen.walk must be one of {('auto', *WALKS)}, got {walk!r}")
    if walk == "flat" and n_leaves > FLAT_MAX_LEAVES:
        raise ValueError(
            f"codegen.walk: flat compiles trees of at most {FLAT_MAX_LEAVES} leaves, this one has {n_leaves}"
        )
    if walk == "auto":
        box_steps = n_leaves * max(1, -(-n_features // 4))
        return "flat" if box_steps <= FLAT_AUTO_BOX_STEPS else "nested"
    return walk


def render_tree(table: dict[str, Any], *, walk: str = "table", template: str = TEMPLATE, phase1: str = "") -> str:
    """The C source of the compiled-in tree for tree.json `table`.

    walk="table" walks the node table branch-free; walk="nested" emits nested if/else for the
    compiled-in tree (loaded trees are always walked as tables); walk="flat" (at most
    FLAT_MAX_LEAVES leaves) compares every split and checks every leaf's box, without a branch;
    walk="auto" is `resolve_walk`'s. All return the same decision. `phase1` (the go/no-go
    decision in words) goes into the header, so a deployed tree says whether Phase 1 backed it.
    """
    tree = compile_table(table)
    walk = resolve_walk(walk, tree.n_leaves, tree.n_features)
    inputs = sorted((str(k), str(v)) for k, v in table["inputs"].items())
    header = {
        "title": "fastpath_tree.c: the dpdktune fast-path decision tree (generated)",
        "generator": f"dpdktune.codegen.render (dpdktune {__version__})",
        "template": f"csrc/templates/{template}",
        "tree_generator": table["generator"],
        "tree_sha256": table_sha256(table),
        "inputs": inputs,
        "phase1": phase1,
    }
    actions = [str(int(a)) for a in tree.leaf_action]
    leaf_of = [f"{int(v)}u" for v in tree.leaf_of]
    leaves = _leaf_slots(tree)
    leaf_slots = np.flatnonzero(leaves)
    boxes = [
        {"slot": int(s), "lo": [c_float(v) for v in tree.box_lo[k]], "hi": [c_float(v) for v in tree.box_hi[k]]}
        for k, s in enumerate(leaf_slots)
    ]
    context = {
        "header": header,
        "features": list(tree.features),
        "configs": tree.configs.tolist(),
        "safe_default": tree.safe_default,
        "depth": tree.depth,
        "n_nodes": len(tree.thr),
        "n_leaves": tree.n_leaves,
        "margin": repr(float(table["novelty"]["margin"])),
        "feature_hash": feature_hash(tree.features),
        "nodes": _node_rows(tree, leaves),
        "leaf_of_rows": [leaf_of[i : i + 16] for i in range(0, len(leaf_of), 16)],
        "action_rows": [actions[i : i + 16] for i in range(0, len(actions), 16)],
        "boxes": boxes,
        "walk": walk,
        "nested": "\n".join(_nested(tree, leaves, 0, 1)) if walk == "nested" else "",
        "flat": _flat(tree, leaves) if walk == "flat" else {},
    }
    return _environment().get_template(template).render(**context)
