"""The .fpt file fp_load() reads: a compiled tree as little-endian binary tables.

Layout (csrc/fastpath_runtime.c, struct fpt_header, then the arrays in this order):
magic "FPTREE01"; u32 n_features, n_configs, n_centroids, n_nodes, depth; i32 safe_default;
f32 max_d2; u32 reserved; u64 feature_hash; f32 lo[nf], hi[nf], mean[nf], inv_scale[nf];
f32 centroids[nf * nc] (feature-major); {f32 thr, u32 link}[n_nodes]; i32 action[n_nodes];
i32 configs[n_configs * 4].
"""

from __future__ import annotations

import os
import struct
import tempfile
from pathlib import Path

import numpy as np

from dpdktune.codegen.layout import CompiledTree, feature_hash

MAGIC = b"FPTREE01"
_HEADER = struct.Struct("<8s5IifIQ")  # 48 bytes, no padding, as struct fpt_header


def links(tree: CompiledTree) -> np.ndarray:
    """child << 8 | feature, the node's second word."""
    return (tree.child.astype(np.uint32) << np.uint32(8)) | tree.feature.astype(np.uint32)


def pack(tree: CompiledTree) -> bytes:
    nodes = np.empty(len(tree.thr), dtype=[("thr", "<f4"), ("link", "<u4")])
    nodes["thr"] = tree.thr
    nodes["link"] = links(tree)
    header = _HEADER.pack(
        MAGIC, tree.n_features, len(tree.configs), len(tree.centroids), len(tree.thr), tree.depth,
        tree.safe_default, float(tree.max_d2), 0, feature_hash(tree.features),
    )
    parts = [header]
    for arr in (tree.lo, tree.hi, tree.mean, tree.inv_scale, tree.centroids.T.ravel()):
        parts.append(np.ascontiguousarray(arr, dtype="<f4").tobytes())
    parts += [nodes.tobytes(), tree.action.astype("<i4").tobytes(), tree.configs.astype("<i4").tobytes()]
    return b"".join(parts)


def write_fpt(tree: CompiledTree, path: str | Path) -> Path:
    """Write atomically (temp + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pack(tree))
        os.chmod(tmp, 0o644)  # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
