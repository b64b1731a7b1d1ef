"""rules/codegen.smk: `snakemake fastpath.so` renders results/codegen/ and builds fastpath.so."""

from __future__ import annotations

import ctypes
import json

import numpy as np
import pytest
from dpdktune import treefile, treelayout
from snakemake_helpers import REPO, run_snakemake, workdir


@pytest.mark.slow
def test_snakemake_fastpath_so(tmp_path, depth10, data):
    _, table = depth10
    work = workdir(tmp_path, {"codegen": {"walk": "nested"}})
    if not (work / "csrc").exists():  # newer workdir() links csrc/ itself
        (work / "csrc").symlink_to(REPO / "csrc")
    treefile.write_tree_json(table, work / "results" / "distill" / "tree.json")
    decision = {
        "decision": "NO-GO",
        "headline_objective": "cores_at_slo",
        "opportunity": 0.08,
        "opportunity_ci": [0.02, 0.14],
        "best_baseline": "Linear",
    }
    (work / "results" / "baselines").mkdir(parents=True)
    (work / "results" / "baselines" / "decision.json").write_text(json.dumps(decision))
    proc = run_snakemake(work, "--allowed-rules", "render_fastpath", "build_fastpath", "-c1", "fastpath.so")
    assert proc.returncode == 0, proc.stderr[-4000:]
    source = (work / "results" / "codegen" / "fastpath_tree.c").read_text()
    assert "walk nested" in source and "tree sha256" in source
    # built under NO-GO: the header says so and the rule warns
    assert " * phase 1: Phase 1 decided NO-GO for objective cores_at_slo (opportunity 8.0 %" in source
    assert "WARNING" in proc.stderr and "building the fast path although Phase 1 decided NO-GO" in proc.stderr
    assert (work / "results" / "codegen" / "tree.fpt").stat().st_size > 48
    assert (work / "results" / "logs" / "codegen" / "build.log").exists()
    lib = ctypes.CDLL(str(work / "fastpath.so"))
    lib.fp_decide.argtypes = [ctypes.c_void_p, ctypes.c_int]
    X = np.ascontiguousarray(data[0][:200])
    got = [lib.fp_decide(X.ctypes.data + i * X.strides[0], X.shape[1]) for i in range(len(X))]
    assert got == treelayout.decide(treelayout.compile_table(table), X).tolist()
