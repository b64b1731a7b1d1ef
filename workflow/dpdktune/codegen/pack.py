"""The .fpt file fp_load() reads: a compiled tree as little-endian binary tables.

Layout (csrc/fastpath_runtime.c, struct fpt_header, then the arrays in this order):
magic "FPTREE03"; u32 n_features, n_configs, n_leaves, n_nodes, depth; i32 safe_default;
u32 crc32; u32 reserved; u64 feature_hash; {f32 thr, u32 link}[n_nodes]; u32 leaf_of[n_nodes];
i32 leaf_action[n_leaves]; f32 box[n_leaves][2][n_features] (per leaf: lo, then hi);
i32 configs[n_configs * 4].

`crc32` is zlib's CRC-32 of the whole file with that field read as zero: fp_load refuses a file
whose bytes were damaged anywhere (header included) instead of publishing a wrong tree.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from dpdktune.atomic import write_bytes
from dpdktune.treelayout import CompiledTree, feature_hash

MAGIC = b"FPTREE03"
_HEADER = struct.Struct("<8s5Ii2IQ")  # 48 bytes, no padding, as struct fpt_header
_CRC_AT = 32  # offset of the crc32 field


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
        MAGIC,
        tree.n_features,
        len(tree.configs),
        tree.n_leaves,
        len(tree.thr),
        tree.depth,
        tree.safe_default,
        0,
        0,
        feature_hash(tree.features),
    )
    return seal(
        b"".join(
            [
                header,
                nodes.tobytes(),
                tree.leaf_of.astype("<u4").tobytes(),
                tree.leaf_action.astype("<i4").tobytes(),
                np.ascontiguousarray(boxes(tree)).tobytes(),
                tree.configs.astype("<i4").tobytes(),
            ]
        )
    )


def checksum(blob: bytes) -> int:
    """The file's CRC-32 with its own field taken as zero."""
    return zlib.crc32(blob[:_CRC_AT] + b"\0\0\0\0" + blob[_CRC_AT + 4 :])


def seal(blob: bytes) -> bytes:
    """`blob` with its checksum field set (also lets tests build deliberately bad trees)."""
    return blob[:_CRC_AT] + struct.pack("<I", checksum(blob)) + blob[_CRC_AT + 4 :]


def write_fpt(tree: CompiledTree, path: str | Path) -> Path:
    """Write atomically (temp + rename)."""
    return write_bytes(pack(tree), path)
