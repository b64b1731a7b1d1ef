"""Microbenchmark of one decision against the C baselines and other tree compilers, side by side.

For each tree depth it fits a scikit-learn tree on the synthetic fingerprint data set
(dpdktune.codegen.synthetic), generates the fast path, the same tree through m2cgen and
emlearn, and the C lookup-table and linear baselines, compiles them all -O2 into one C harness
(csrc/bench/fp_bench.c) and times each call. In the same run it times scikit-learn `predict`
and a torch policy (the RL actor's shape, dpdktune.rl.settings.RLSettings.hidden) per sample.

    .venv/bin/python benchmarks/fastpath_bench.py [--depths 5 10 15 20] [--calls 200000]
    (timing on a quieter machine: see csrc/bench/run_bundle.sh)

Goals: fastpath median <= 10 ns, p99 <= 25 ns, <= 1.0x the faster of m2cgen and emlearn,
whole decision < 100 ns. Prints the table and writes JSON (--out).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from dpdktune import treefile
from dpdktune.codegen import build, synthetic
from dpdktune.codegen.render import CSRC, c_float

VARIANTS = ("fastpath", "fastpath_loaded", "m2cgen", "emlearn", "lookup", "linear", "walk_only", "checks_only")  # fp_bench.c order
WALKS = ("table", "nested")


def _array(name: str, values, ctype: str = "float") -> str:
    fmt = c_float if ctype == "float" else (lambda v: str(int(v)))
    return f"static const {ctype} {name}[{len(values)}] = {{ {', '.join(fmt(v) for v in values)} }};\n"


def bench_models_h(clf, X, y, configs) -> str:
    """Fit the lookup table and linear baselines; emit them and the class map as C."""
    from sklearn.cluster import KMeans
    from sklearn.linear_model import LinearRegression

    mean, scale = X.mean(0), X.std(0)
    scale[scale <= 0] = 1
    Z = ((X - mean) / scale).astype(np.float32)
    km = KMeans(n_clusters=16, n_init=4, random_state=0).fit(Z)
    lut_action = [int(np.bincount(y[km.labels_ == k]).argmax()) if np.any(km.labels_ == k) else 0 for k in range(16)]
    knobs = np.log2(np.array([[c.rx_desc, c.tx_desc, c.cores, c.burst] for c in configs], dtype=float))[y]
    lin = LinearRegression().fit(Z, knobs)
    levels = [sorted({getattr(c, k) for c in configs}) for k in ("rx_desc", "tx_desc", "cores", "burst")]
    return "".join([
        f"#define BM_NF {X.shape[1]}\n#define BM_NCLASSES {len(clf.classes_)}\n#define LUT_N 16\n",
        _array("bm_classes", clf.classes_, "int32_t"),
        _array("bm_mean", mean), _array("bm_inv_scale", 1 / scale),
        _array("lut_center", km.cluster_centers_.ravel()), _array("lut_action", lut_action, "int32_t"),
        _array("lin_w", lin.coef_.ravel()), _array("lin_b", lin.intercept_),
        _array("grid_first_log2", [int(np.log2(lv[0])) for lv in levels], "int"),
        _array("grid_levels", [len(lv) for lv in levels], "int"),
    ])


def object_bytes(source: Path, work: Path) -> int:
    """text + data of one variant's object file, compiled -O2."""
    obj = work / (source.stem + ".o")
    subprocess.run(["cc", "-O2", "-c", f"-I{CSRC}", f"-I{work}", str(source), "-o", str(obj)], check=True, timeout=900)
    size = subprocess.run(["size", str(obj)], capture_output=True, text=True, check=True, timeout=60).stdout
    text, data = map(int, size.splitlines()[1].split()[:2])
    return text + data


def python_timings(clf, X: np.ndarray, n: int = 3000) -> dict[str, float]:
    """Median ns of one sklearn predict and one torch policy forward + argmax, per sample."""
    import torch

    from dpdktune.rl.settings import RLSettings

    torch.set_num_threads(1)
    out = {}
    rows = X[:n]
    times = []
    for r in rows:
        t0 = time.perf_counter_ns()
        clf.predict(r[None, :])
        times.append(time.perf_counter_ns() - t0)
    out["sklearn_predict"] = float(np.median(times))
    sizes = (X.shape[1], *RLSettings().hidden, 125)
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.Tanh()]
    policy = torch.nn.Sequential(*layers[:-1]).eval()
    times = []
    with torch.inference_mode():
        for r in torch.from_numpy(rows):
            t0 = time.perf_counter_ns()
            int(policy(r[None, :]).argmax())
            times.append(time.perf_counter_ns() - t0)
    out["torch_policy"] = float(np.median(times))
    return out


def prepare_depth(depth: int, X, y, Xtest, work: Path) -> dict:
    """Fit the depth's tree and write every variant's C, the inputs and build.sh into `work`."""
    import emlearn
    import m2cgen
    from sklearn.tree import DecisionTreeClassifier

    configs = synthetic.configs()
    clf = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=2, random_state=0).fit(X, y)
    table = treefile.from_sklearn(clf, list(synthetic.FEATURES), configs, treefile.fit_bounds(X), X, 62, 0.6,
                                    method=f"bench-depth{depth}")
    for walk in WALKS:
        files = build.generate(table, work / walk, walk=walk)
    (work / "bench_models.h").write_text(bench_models_h(clf, X, y, configs))
    (work / "m2c_tree.c").write_text(m2cgen.export_to_c(clf, function_name="m2c_score"))
    emlearn.convert(clf, method="inline", dtype="float").save(file=str(work / "eml_tree.h"), name="eml_tree",
                                                               format="c")
    (work / "inputs.f32").write_bytes(np.ascontiguousarray(Xtest, dtype="<f4").tobytes())
    # The exact compile line of build.compile_c, so a bare machine (cc only) can rebuild it.
    bench = "$CSRC/bench"
    flags = " ".join([*build.CFLAGS, *build.TLS_FLAGS, "-Wno-unused-parameter", "-Wno-unused-variable"])
    lines = ["#!/bin/sh", "# fp_bench for one depth: CSRC=<repo>/csrc [LDFLAGS=-static] sh build.sh <calls> <out_dir> [compile|run]",
             "set -e", 'OUT=$(realpath "${2:-.}"); cd "$(dirname "$0")"', 'CSRC=${CSRC:?}; CALLS=${1:-200000}']
    for walk in WALKS:
        lines += [f'[ "$3" = run ] || cc {flags} -I$CSRC -I. {bench}/fp_bench.c {bench}/baselines.c '
                  f"{bench}/m2c_wrap.c {bench}/eml_wrap.c {walk}/fastpath_tree.c $CSRC/fastpath_runtime.c "
                  f"-o fp_bench_{walk} $LDFLAGS -lm -lpthread"]
    for walk in WALKS:
        lines += [f'[ "$3" = compile ] || ./fp_bench_{walk} inputs.f32 $CALLS {walk}/tree.fpt decisions_{walk}.i32 '
                  f"> $OUT/timing_{walk}.json"]
    (work / "build.sh").write_text("\n".join(lines) + "\n")
    return {"clf": clf, "files": files}


def run_bundle(work: Path, calls: int, out: Path, mode: str = "") -> None:
    """build.sh: compile and run (mode ""), or only "compile" / "run" (binaries already there)."""
    env = {**os.environ, "CSRC": str(CSRC)}
    subprocess.run(["sh", str(work / "build.sh"), str(calls), str(out), *([mode] if mode else [])], check=True,
                   timeout=3600, env=env)


def summarize_depth(work: Path, timing_dir: Path, clf, Xtest) -> dict:
    """Merge both walks' timings (fastpath_table / fastpath_nested), agreement and sizes."""
    runs = {walk: json.loads((timing_dir / f"timing_{walk}.json").read_text()) for walk in WALKS}
    result = runs["table"]
    result["variants"]["fastpath_table"] = result["variants"].pop("fastpath")
    result["variants"]["fastpath_nested"] = runs["nested"]["variants"]["fastpath"]
    sk = clf.predict(Xtest)
    agreement = {}
    for walk in WALKS:
        got = np.fromfile(work / f"decisions_{walk}.i32", dtype="<i4").reshape(len(VARIANTS), len(Xtest))
        agreement.update({v if v != "fastpath" else f"fastpath_{walk}": float(np.mean(got[i] == sk))
                          for i, v in enumerate(VARIANTS)})
        if walk == "table":
            result["fastpath_fallback_fraction"] = float(np.mean(got[0] == 62))
    result["agreement_with_sklearn"] = agreement
    result["nodes"] = clf.tree_.node_count
    result["depth"] = int(clf.get_depth())
    bench = CSRC / "bench"
    result["object_bytes"] = {
        "fastpath_table": object_bytes(work / "table" / "fastpath_tree.c", work),
        "fastpath_nested": object_bytes(work / "nested" / "fastpath_tree.c", work),
        "m2cgen": object_bytes(bench / "m2c_wrap.c", work),
        "emlearn": object_bytes(bench / "eml_wrap.c", work),
    }
    result["python_ns"] = python_timings(clf, Xtest)
    return result


def _cell(v: dict) -> str:
    return f"{v['median_ns']:6.1f}/{v['p99_ns']:6.1f}/{v['p999_ns']:7.1f}"


def print_table(results: dict, before: dict | None = None) -> None:
    """Whole decision (features -> validity + novelty -> tree) per depth, against the generators."""
    from dpdktune.codegen.render import AUTO_NESTED_DEPTH

    print("\nOne whole decision (fp_decide), ns median/p99/p999 of single timed calls (rdtsc quantum ~10 ns on some "
          "VMs). shipped = the walk codegen.walk=auto picks; ratio = shipped median / min(m2cgen, emlearn) median "
          "(goal <= 1.0; also median <= 10, p99 <= 25, < 100). b16 = median per call of 16 back-to-back calls, and its ratio")
    head = (f"{'depth':>5} {'nodes':>6} {'tree B':>7} {'shipped':>7} {'fastpath shipped':>22} {'fastpath table':>22} "
            f"{'fastpath nested':>22} {'m2cgen':>22} {'emlearn':>22} {'ratio':>6} {'b16 ship':>8} {'b16 gen':>8} {'ratio':>6}")
    if before:
        head += f" {'before (same walk)':>22} {'ratio':>6} {'speed-up':>8} {'b16 bef':>8} {'ratio':>6}"
    print(head)
    for depth, r in results.items():
        v = r["variants"]
        walk = "nested" if r["depth"] >= AUTO_NESTED_DEPTH else "table"
        best = min(v["m2cgen"]["median_ns"], v["emlearn"]["median_ns"])
        ship = v[f"fastpath_{walk}"]
        line = (f"{depth:>5} {r['nodes']:>6} {r['tree_bytes']:>7} {walk:>7} {_cell(ship):>22} "
                f"{_cell(v['fastpath_table']):>22} {_cell(v['fastpath_nested']):>22} {_cell(v['m2cgen']):>22} "
                f"{_cell(v['emlearn']):>22} {ship['median_ns'] / best:6.2f}")
        b16 = min(v["m2cgen"]["batch16_median_ns"], v["emlearn"]["batch16_median_ns"])
        line += f" {ship['batch16_median_ns']:8.1f} {b16:8.1f} {ship['batch16_median_ns'] / b16:6.2f}"
        old = (before or {}).get(str(depth))
        if old:
            ov = old["variants"]
            ob = min(ov["m2cgen"]["median_ns"], ov["emlearn"]["median_ns"])
            o = ov[f"fastpath_{walk}"]
            line += f" {_cell(o):>22} {o['median_ns'] / ob:6.2f} {o['median_ns'] / ship['median_ns']:7.2f}x"
            ob16 = min(ov["m2cgen"]["batch16_median_ns"], ov["emlearn"]["batch16_median_ns"])
            line += f" {o['batch16_median_ns']:8.1f} {o['batch16_median_ns'] / ob16:6.2f}"
        print(line)
    cols = ["fastpath_loaded", "lookup", "linear", "walk_only", "checks_only"]
    print("\nOther variants, ns median/p99/p999 (walk_only / checks_only: the two halves, generic loops)")
    print(f"{'depth':>5} " + " ".join(f"{c:>22}" for c in cols) + f" {'sklearn':>9} {'torch':>9}")
    for depth, r in results.items():
        v, py = r["variants"], r["python_ns"]
        print(f"{depth:>5} " + " ".join(f"{_cell(v[c]):>22}" for c in cols)
              + f" {py['sklearn_predict']:9.0f} {py['torch_policy']:9.0f}")
    print("\nAgreement with sklearn.predict (fastpath counts its safe-default fallbacks as disagreement):")
    for depth, r in results.items():
        a = r["agreement_with_sklearn"]
        print(f"  depth {depth}: " + ", ".join(f"{k} {a[k]:.4f}" for k in a)
              + f"; fastpath fallback {r['fastpath_fallback_fraction']:.3f}; object bytes {r['object_bytes']}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--depths", type=int, nargs="+", default=[5, 10, 15, 20])
    ap.add_argument("--samples", type=int, default=20000)
    ap.add_argument("--calls", type=int, default=200000)
    ap.add_argument("--bundle", type=Path, help="write the per-depth C bundles here (and keep them)")
    ap.add_argument("--prepare-only", action="store_true", help="stop after writing the bundles")
    ap.add_argument("--timings", type=Path, help="read timing_<walk>.json per depth (d<depth>/) from here, "
                    "e.g. from a quieter machine that ran build.sh, instead of timing locally")
    ap.add_argument("--out", type=Path, default=Path("results/bench/fastpath_bench.json"))
    ap.add_argument("--before", type=Path, help="a previous run's JSON (--out), printed side by side")
    args = ap.parse_args(argv)
    X, y = synthetic.dataset(args.samples + 5000, seed=11)
    X, Xtest, y = X[: args.samples], X[args.samples :], y[: args.samples]
    results = {}
    with tempfile.TemporaryDirectory(prefix="fp_bench_") as tmp:
        root = args.bundle or Path(tmp)
        for depth in args.depths:
            work = root / f"d{depth}"
            work.mkdir(parents=True, exist_ok=True)
            t0 = time.time()
            prepared = prepare_depth(depth, X, y, Xtest, work)
            if args.prepare_only:
                continue
            if args.timings:
                timing_dir = args.timings / f"d{depth}"
                # decisions (deterministic) for the agreement check, from the binaries if there
                have = all((work / f"fp_bench_{w}").exists() for w in WALKS)
                run_bundle(work, 1000, Path(tmp), "run" if have else "")
            else:
                run_bundle(work, args.calls, work)
                timing_dir = work
            results[depth] = summarize_depth(work, timing_dir, prepared["clf"], Xtest)
            print(f"depth {depth}: done in {time.time() - t0:.0f} s", file=sys.stderr)
    if args.prepare_only:
        print(f"bundles in {args.bundle}; run: CSRC=csrc sh {args.bundle}/d<depth>/build.sh <calls> <out>")
        return 0
    print_table(results, json.loads(args.before.read_text()) if args.before else None)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
