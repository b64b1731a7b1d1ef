"""csrc/fastpath_runtime.c: fp_load, fp_swap and the grace period, under a sanitizer."""

from __future__ import annotations

import json
import os
import platform
import subprocess

import numpy as np
import pytest
from dpdktune import treelayout
from dpdktune.codegen import build, pack
from dpdktune.codegen.render import CSRC

from .codegen_helpers import FEATURES, hard_inputs, make_table, permuted


def test_load_decides_like_the_compiled_in_tree(built10, depth10, data):
    files, fp = built10
    _, table = depth10
    rows = hard_inputs(table, data[0], 5000, seed=3)
    tree, err = fp.load(files["fpt"])
    assert tree, err
    try:
        assert np.array_equal(fp.decide(rows, tree=tree), fp.decide(rows))
    finally:
        fp.lib.fp_tree_free(tree)


def test_swap_publishes_and_reverts(built10, depth10, data, tmp_path):
    _, fp = built10
    _, table = depth10
    X = data[0][:2000]
    other = permuted(table)
    path = pack.write_fpt(treelayout.compile_table(other), tmp_path / "b.fpt")
    before = fp.lib.fp_swap_count()
    tree, err = fp.load(path)
    assert tree, err
    assert fp.lib.fp_swap(tree) == 0
    try:
        got = fp.decide(X)
        assert np.array_equal(got, treelayout.decide(treelayout.compile_table(other), X))
        assert not np.array_equal(got, treelayout.decide(treelayout.compile_table(table), X))
    finally:
        assert fp.lib.fp_swap(None) == 0
    assert np.array_equal(fp.decide(X), treelayout.decide(treelayout.compile_table(table), X))
    assert fp.lib.fp_swap_count() == before + 2


def _corrupt(blob: bytes, what: str, table: dict, data) -> bytes:
    if what == "magic":
        return b"FPTREE01" + blob[8:]  # the format before leaf boxes
    if what == "truncated":
        return blob[:-7]
    if what == "trailing":
        return blob + b"\0"
    if what == "link":  # root's first child points past the table, in a correctly sealed file
        b = bytearray(blob)
        at = 48 + 4  # nodes come right after the header
        b[at : at + 4] = np.uint32((10**6 << 8) | 0).tobytes()
        return pack.seal(bytes(b))
    if what == "flipped":  # one bit of one threshold: structurally valid, only the checksum notices
        b = bytearray(blob)
        b[48] ^= 0x01
        return bytes(b)
    raise AssertionError(what)


@pytest.mark.parametrize(
    "what,message",
    [
        ("magic", "bad magic"),
        ("truncated", "file ends inside"),
        ("trailing", "trailing bytes"),
        ("link", "links outside the table"),
        ("flipped", "checksum mismatch"),
    ],
)
def test_load_rejects_damaged_files(built10, depth10, data, tmp_path, what, message):
    files, fp = built10
    _, table = depth10
    bad = tmp_path / f"{what}.fpt"
    bad.write_bytes(_corrupt(files["fpt"].read_bytes(), what, table, data))
    tree, err = fp.load(bad)
    assert not tree and message in err and str(bad) in err


def test_load_rejects_another_feature_vector_or_config_table(built10, data, tmp_path):
    _, fp = built10
    X, y = data
    _, subset = make_table(X[:, :5], y, 4, features=FEATURES[:5])
    tree, err = fp.load(pack.write_fpt(treelayout.compile_table(subset), tmp_path / "k5.fpt"))
    assert not tree and "features differ" in err
    _, table = make_table(X, y, 4)
    table["configs"][0]["burst"] = 64
    tree, err = fp.load(pack.write_fpt(treelayout.compile_table(table), tmp_path / "cfg.fpt"))
    assert not tree and "config table differs" in err
    tree, err = fp.load(tmp_path / "missing.fpt")
    assert not tree and "No such file" in err


def _corrupted_copies(blob: bytes, n: int, seed: int):
    """n damaged copies of `blob`: 1-8 random byte changes, a truncation, or an extension."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        kind = i % 3
        if kind == 0:
            b = bytearray(blob)
            for at in rng.integers(0, len(b), rng.integers(1, 9)):
                b[at] ^= int(rng.integers(1, 256))  # never a no-op change
            yield bytes(b)
        elif kind == 1:
            yield blob[: int(rng.integers(0, len(blob)))]
        else:
            yield blob + rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes()


def test_load_refuses_every_one_of_3000_randomly_corrupted_copies(built10, tmp_path):
    files, fp = built10
    blob = files["fpt"].read_bytes()
    path = tmp_path / "bad.fpt"
    loaded = []
    for i, bad in enumerate(_corrupted_copies(blob, 3000, seed=9)):
        assert bad != blob
        path.write_bytes(bad)
        tree, _ = fp.load(path)
        if tree:
            fp.lib.fp_tree_free(tree)
            loaded.append(i)
    assert loaded == [], f"{len(loaded)} of 3000 damaged copies loaded"
    path.write_bytes(blob)
    tree, err = fp.load(path)
    assert tree, err
    fp.lib.fp_tree_free(tree)


def test_load_refuses_a_named_pipe_at_once(built10, tmp_path):
    _, fp = built10
    fifo = tmp_path / "tree.fifo"
    os.mkfifo(fifo)
    # No writer ever opens the pipe: a blocking open would hang here (the pytest timeout shows it).
    tree, err = fp.load(fifo)
    assert not tree and "not a regular file" in err and str(fifo) in err


def _stress_binary(files, tmp_path, sanitize):
    exe = tmp_path / f"swap_stress_{sanitize}"
    build.compile_c(
        [CSRC / "bench" / "swap_stress.c", files["source"], build.RUNTIME], exe, shared=False, sanitize=sanitize
    )
    return exe


@pytest.mark.slow
@pytest.mark.parametrize("sanitize,seconds,env", [("thread", 10, {}), ("address", 3, {"FP_RCU_FENCE": "1"})])
def test_swap_stress_has_no_torn_or_freed_reads(built10, depth10, data, tmp_path, sanitize, seconds, env):
    files, _ = built10
    _, table = depth10
    b = pack.write_fpt(treelayout.compile_table(permuted(table)), tmp_path / "b.fpt")
    rows = tmp_path / "rows.f32"
    rows.write_bytes(np.ascontiguousarray(data[0][:1000], dtype="<f4").tobytes())
    exe = _stress_binary(files, tmp_path, sanitize)
    cmd = [str(exe), str(files["fpt"]), str(b), str(rows), str(seconds), "4"]
    run_env = {**os.environ, "TSAN_OPTIONS": "halt_on_error=1", **env}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120, env=run_env)
    if "unexpected memory mapping" in proc.stderr:  # TSan vs high-entropy ASLR on some kernels
        proc = subprocess.run(
            ["setarch", platform.machine(), "-R", *cmd],
            capture_output=True,
            text=True,
            timeout=seconds + 120,
            env=run_env,
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-4000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["torn"] == 0 and result["freed"] == 0 and result["load_errors"] == 0
    assert result["swaps"] > 20 and result["reads"] > 10_000
    assert result["read_b"] > 0 and result["rows_differ"] > 100  # readers really saw both trees
    assert result["fence_mode"] == (1 if env else result["fence_mode"])
