"""Compile the generated tree and the runtime into fastpath.so (or a test program).

The decision only compares floats (no arithmetic), so it matches the NumPy twin (dpdktune.treelayout.decide)
exactly on every target; `-ffp-contract=off` stays so that no future arithmetic gets fused.
No -march: the box check uses GCC vector extensions, which compile to the baseline ISA (SSE2).
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dpdktune.atomic import replacing, write_text
from dpdktune.codegen.pack import write_fpt
from dpdktune.codegen.render import render_tree
from dpdktune.paths import project_file
from dpdktune.treelayout import compile_table

CFLAGS = (
    "-O2",
    "-std=gnu11",
    "-Wall",
    "-Wextra",
    "-Werror=implicit-function-declaration",
    "-ffp-contract=off",
    "-fvisibility=hidden",
    "-fPIC",
)
SANITIZERS = {
    None: (),
    "thread": ("-fsanitize=thread", "-g", "-O1"),
    "address": ("-fsanitize=address,undefined", "-g", "-fno-omit-frame-pointer"),
}
# TLS descriptors: fast thread-local access in a dlopen()ed library (see fastpath_internal.h).
TLS_FLAGS = ("-mtls-dialect=gnu2",) if platform.machine() in ("x86_64", "AMD64") else ()
#: the runtime and headers of the project (the working directory's csrc/, else the packaged one)
RUNTIME = project_file("csrc/fastpath_runtime.c")


class BuildError(RuntimeError):
    """The C compiler failed; the message carries its command and stderr."""


def compile_c(
    sources: Sequence[str | Path],
    output: str | Path,
    *,
    shared: bool = True,
    cc: str = "cc",
    sanitize: str | None = None,
    extra: Sequence[str] = (),
    timeout_s: float = 300.0,
    include: str | Path | None = None,
) -> Path:
    """cc the sources into `output` (a .so when shared), written to a temp name then renamed.
    `include` holds fastpath.h (default: the project's csrc/)."""
    if sanitize not in SANITIZERS:
        raise ValueError(f"sanitize must be one of {sorted(k for k in SANITIZERS if k)}, got {sanitize!r}")
    if shutil.which(cc) is None:
        raise BuildError(f"C compiler {cc!r} not found (config key codegen.cc)")
    include = include or project_file("csrc")
    with replacing(output) as tmp:
        cmd = [
            cc,
            *CFLAGS,
            *TLS_FLAGS,
            *SANITIZERS[sanitize],
            *(["-shared"] if shared else []),
            f"-I{include}",
            *[str(s) for s in sources],
            *extra,
            "-o",
            str(tmp),
            "-lm",
            "-lpthread",
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise BuildError(f"{' '.join(cmd)}: no result after {timeout_s} s") from exc
        if proc.returncode != 0:
            raise BuildError(f"{' '.join(cmd)}\nexit {proc.returncode}\n{proc.stderr}")
        os.chmod(tmp, 0o755)
    return Path(output)


def generate(table: dict[str, Any], out_dir: str | Path, *, walk: str = "auto", phase1: str = "") -> dict[str, Path]:
    """Write fastpath_tree.c (compiled-in tree) and tree.fpt (the same tree for fp_load) under out_dir."""
    out_dir = Path(out_dir)
    return render_files(table, out_dir / "fastpath_tree.c", out_dir / "tree.fpt", walk=walk, phase1=phase1)


def render_files(
    table: dict[str, Any], source: str | Path, fpt: str | Path, *, walk: str = "auto", phase1: str = ""
) -> dict[str, Path]:
    """Write the compiled-in tree's C to `source` and the same tree for fp_load to `fpt`."""
    source = Path(source)
    write_text(render_tree(table, walk=walk, phase1=phase1), source)
    return {"source": source, "fpt": write_fpt(compile_table(table), Path(fpt))}


def build_fastpath(
    table: dict[str, Any],
    out_dir: str | Path,
    library: str | Path,
    *,
    cc: str = "cc",
    sanitize: str | None = None,
    walk: str = "auto",
) -> dict[str, Path]:
    """Generate the C under out_dir and compile it with the runtime into `library`."""
    files = generate(table, out_dir, walk=walk)
    files["library"] = compile_c([files["source"], RUNTIME], library, cc=cc, sanitize=sanitize)
    return files
