"""The fast tier's C library in-process (ctypes): fp_decide, fp_load, fp_tree_decide, fp_swap.

Each run builds its own fastpath.so in its output folder. Its compiled-in tree is the safe
default (one leaf), so `fp_swap(NULL)` is the fallback and a run with no trusted tree decides
the safe default. Learned trees are .fpt files loaded with `fp_load` and published with
`fp_swap`. A library is loaded once per process per path, so every run's own copy keeps its
own published tree.
"""

from __future__ import annotations

import ctypes
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np


def safe_default_table(features, grid, safe: int, X: np.ndarray) -> dict[str, Any]:
    """tree.json of a one-leaf tree that always picks `safe` (the compiled-in fallback)."""
    from sklearn.tree import DecisionTreeClassifier

    from dpdktune.distill.export import range_bounds
    from dpdktune.treefile import from_sklearn

    X = np.asarray(X, np.float32)
    tree = DecisionTreeClassifier(max_depth=1).fit(X, np.full(len(X), safe))
    return from_sklearn(
        tree,
        list(features),
        list(grid),
        range_bounds(X),
        X,
        safe,
        0.0,
        method="safe-default",
        inputs={"safe_default": "static config with the best worst case over the training cells"},
    )


def build_library(table: dict[str, Any], out_dir: Path, cc: str = "cc", shared: Path | None = None) -> Path:
    """out_dir/fastpath.so: `table` compiled with the runtime, or a copy of the same build in
    `shared` (a folder of builds by tree hash), so many runs compile once yet each loads its own copy."""
    from dpdktune.atomic import replacing
    from dpdktune.codegen.build import build_fastpath
    from dpdktune.codegen.render import table_sha256

    out_dir.mkdir(parents=True, exist_ok=True)
    library = out_dir / "fastpath.so"
    if library.exists():
        return library
    digest = table_sha256(table)[:20]
    home = (shared or out_dir) / f"fastpath-{digest}"
    built = home / "fastpath.so"
    if not built.exists():
        build_fastpath(table, home / f"build-{os.getpid()}", built, cc=cc)
        shutil.rmtree(home / f"build-{os.getpid()}", ignore_errors=True)
    if built != library:
        with replacing(library) as tmp:
            shutil.copyfile(built, tmp)
    return library


class FastPathLib:
    def __init__(self, path: str | Path):
        self.lib = lib = ctypes.CDLL(str(Path(path).resolve()))
        lib.fp_decide.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.fp_load.argtypes = [ctypes.c_char_p]
        lib.fp_load.restype = ctypes.c_void_p
        lib.fp_swap.argtypes = [ctypes.c_void_p]
        lib.fp_tree_decide.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
        lib.fp_tree_free.argtypes = [ctypes.c_void_p]
        lib.fp_last_error.restype = ctypes.c_char_p
        lib.fp_swap_count.restype = ctypes.c_uint64
        self.n_features = lib.fp_n_features()
        self.n_configs = lib.fp_n_configs()

    def decide(self, x: np.ndarray) -> int:
        x = np.ascontiguousarray(x, np.float32)
        return int(self.lib.fp_decide(x.ctypes.data, self.n_features))

    def safe_default(self) -> int:
        return int(self.lib.fp_safe_default())

    def load(self, path: str | Path) -> int:
        handle = self.lib.fp_load(str(path).encode())
        if not handle:
            raise RuntimeError(self.lib.fp_last_error().decode())
        return handle

    def tree_decide(self, handle: int, x: np.ndarray) -> int:
        x = np.ascontiguousarray(x, np.float32)
        return int(self.lib.fp_tree_decide(handle, x.ctypes.data, self.n_features))

    def swap(self, handle: int | None) -> None:
        """Publish `handle` (None: the compiled-in safe default); the library owns it afterwards."""
        if self.lib.fp_swap(handle) != 0:
            raise RuntimeError(self.lib.fp_last_error().decode())

    def free(self, handle: int) -> None:
        self.lib.fp_tree_free(handle)
