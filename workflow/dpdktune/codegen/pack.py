"""The .fpt file fp_load() reads: a compiled tree as little-endian binary tables.

Layout (csrc/fastpath_runtime.c, struct fpt_header, then the arrays in this order):
magic "FPTREE02"; u32 n_features, n_configs, n_leaves, n_nodes, depth; i32 safe_default;
u32 reserved[2]; u64 feature_hash; {f32 thr, u32 link}[n_nodes]; u32 leaf_of[n_nodes];
i32 leaf_action[n_leaves]; f32 box[n_leaves][2][n_features] (per leaf: lo, then hi);
i32 configs[n_configs * 4].
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from dpdktune.atomic import write_bytes
from dpdktune.codegen.layout import CompiledTree, feature_hash

MAGIC = b"FPTREE02"
_HEADER = struct.Struct("<8s5Ii2IQ")  # 48 bytes, no padding, as struct fpt_header


def links(tree: CompiledTree) -> np.ndarray:
    """child << 8 | feature, the node's second word."""
    return (tree.child.astype(np.uint32) << np.uint32(8)) | tree.feature.astype(np.uint32)


def boxes(tree: CompiledTree) -> np.ndarray:
    """(n_leaves, 2, n_features) float32: each leaf's lo row, then its hi row."""
    return np.stack([tree.box_lo, tree.box_hi], axis=1).astype("<f4")


def pack(tree: CompiledTree) -> bytes:
    nodes = np.empty(len(tree.thr), dtype=[("thr", "<f4"), ("link", "<u4")])
    nodes["thr"] = tree.thr
    nodes["link"] = links(tree)
    header = _HEADER.pack(
        MAGIC, tree.n_features, len(tree.configs), tree.n_leaves, len(tree.thr), tree.depth,
        tree.safe_default, 0, 0, feature_hash(tree.features),
    )
    return b"".join([header, nodes.tobytes(), tree.leaf_of.astype("<u4").tobytes(),
                     tree.leaf_action.astype("<i4").tobytes(), np.ascontiguousarray(boxes(tree)).tobytes(),
                     tree.configs.astype("<i4").tobytes()])


def write_fpt(tree: CompiledTree, path: str | Path) -> Path:
    """Write atomically (temp + rename)."""
    return write_bytes(pack(tree), path)
