"""csrc/l2fwd_tune: the DPDK app decides with fp_decide on its own metrics and applies it (net_null)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from conftest import IN_CI, require_program
from dpdktune import treefile, treelayout
from dpdktune.codegen import build, pack
from dpdktune.codegen.render import CSRC
from dpdktune.fingerprint import DATAPLANE_FEATURES

from .codegen_helpers import FLT_MAX

pytestmark = pytest.mark.slow  # builds and runs the real DPDK app l2fwd_tune

APP_FEATURES = list(DATAPLANE_FEATURES)  # exactly what the app computes itself
CONFIGS = [{"rx_desc": r, "tx_desc": r, "cores": c, "burst": b} for r in (512, 1024) for c in (1, 2) for b in (16, 32)]
SAFE = CONFIGS.index({"rx_desc": 1024, "tx_desc": 1024, "cores": 1, "burst": 32})
BUSY = CONFIGS.index({"rx_desc": 512, "tx_desc": 512, "cores": 2, "burst": 16})


def app_table(busy_action: int) -> dict:
    """throughput_mpps <= 0 -> the safe default, else `busy_action`; global bounds only (no leaf boxes)."""

    def leaf(a):
        return {"feature": -1, "threshold": 0.0, "left": -1, "right": -1, "action": a, "samples": 1, "confidence": 1.0}

    n = len(APP_FEATURES)
    table = {
        "format_version": 2,
        "generator": "dpdktune test distill/hand",
        "inputs": {"dataset": "none"},
        "features": APP_FEATURES,
        "configs": CONFIGS,
        "safe_default": SAFE,
        "confidence_threshold": 0.5,
        "bounds": {"min": [-FLT_MAX] * n, "max": [FLT_MAX] * n},
        "novelty": {"method": "leaf_box", "margin": 0.0, "scale": [0.0] * n},
        "nodes": [
            {"feature": 1, "threshold": 0.0, "left": 1, "right": 2, "action": -1, "samples": 2, "confidence": 0.0},
            leaf(SAFE),
            leaf(busy_action),
        ],
    }
    treefile.validate(table)
    return table


def _need_libdpdk():
    require_program("pkg-config", "builds l2fwd_tune against libdpdk")
    if subprocess.run(["pkg-config", "--exists", "libdpdk"], timeout=30).returncode != 0:
        if IN_CI:
            pytest.fail("libdpdk not found by pkg-config (CI=true: .ci/run must install libdpdk-dev)")
        pytest.skip("libdpdk not found by pkg-config (install libdpdk-dev)")
    require_program("make")


def build_app(table: dict, out: Path) -> Path:
    _need_libdpdk()
    files = build.generate(table, out)
    proc = subprocess.run(
        ["make", "-C", str(CSRC / "l2fwd_tune"), f"BUILD={out}", f"FASTPATH_TREE={files['source']}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out / "l2fwd_tune"


def null_eal() -> list[str]:
    """EAL arguments for two net_null ports without hugepages; main lcore 0, workers 1 and 2 on CPU 1."""
    return [
        "--no-huge",
        "-m",
        "512",
        "--no-pci",
        "--vdev=net_null0",
        "--vdev=net_null1",
        f"--file-prefix=l2fwd_tune_{uuid.uuid4().hex[:8]}",
        "--lcores",
        "0@0,1@1,2@1",
        "--log-level=lib.eal:error",
    ]


def start_app(app: Path, *args: str) -> subprocess.Popen:
    """The app forwarding on null_eal() in the background, its reports on stdout and stderr as text."""
    return subprocess.Popen(
        [str(app), *null_eal(), "--", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "FP_RCU_FENCE": "0"},
    )


def run_app(app: Path, *args: str, duration: float = 1.5) -> dict:
    eal = null_eal()
    proc = subprocess.run(
        ["timeout", "-k", "5", str(duration + 30), str(app), *eal, "--", "--duration", str(duration), *args],
        capture_output=True,
        text=True,
        timeout=duration + 60,
        env={**os.environ, "FP_RCU_FENCE": "0"},
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(app_table(BUSY), tmp_path_factory.mktemp("l2fwd_tune"))


def test_decides_on_its_own_metrics_and_applies_burst_and_cores(app):
    out = run_app(app, "--decide-every", "32")
    assert out["tx"] > 10_000 and out["decisions"] > 10
    assert out["workers"] == 2
    assert out["last_decision"] == BUSY != out["safe_default"]  # forwarding, so throughput_mpps > 0
    assert out["decision_counts"] == {str(BUSY): out["decisions"]}  # every input measured: no fallback
    assert out["final_burst"] == 16 and out["final_active_workers"] == 2
    assert out["ring_requests"] == 1 and out["ring_resizes"] == 0  # handed over, not applied
    assert (out["rx_desc"], out["tx_desc"]) == (1024, 1024)


def test_the_app_measures_the_whole_data_plane_feature_set(app):
    out = run_app(app, "--decide-every", "32")
    f = out["features"]
    assert set(f) == set(DATAPLANE_FEATURES)
    assert f["rx_mpps"] > 0.1 and f["throughput_mpps"] > 0.1
    assert f["mean_frame_bytes"] == 64  # net_null's default packet size
    assert f["imissed_rate"] == 0 and 0 <= f["tx_drop_rate"] <= 1  # net_null never misses
    assert 0 < f["rx_burst_fill"] <= 1 and 0 <= f["empty_poll_share"] < 1
    assert f["cycles_per_packet"] > 1 and 0 < f["rx_ring_occupancy"] <= 1


def test_control_path_applies_ring_resizes(app):
    out = run_app(app, "--decide-every", "32", "--apply-rings")
    assert out["ring_resizes"] == 1 and out["ring_errors"] == 0
    assert (out["rx_desc"], out["tx_desc"]) == (512, 512)
    assert out["tx"] > 10_000  # still forwarding after the port restart


def test_loaded_tree_replaces_the_compiled_in_one(app, tmp_path):
    other = CONFIGS.index({"rx_desc": 1024, "tx_desc": 1024, "cores": 1, "burst": 16})
    fpt = pack.write_fpt(treelayout.compile_table(app_table(other)), tmp_path / "other.fpt")
    out = run_app(app, "--decide-every", "32", "--tree", str(fpt))
    assert out["last_decision"] == other and out["final_burst"] == 16 and out["final_active_workers"] == 1
    assert out["ring_requests"] == 0


def test_without_decisions_nothing_changes(app):
    out = run_app(app, "--decide-every", "0", "--burst", "32")
    assert out["decisions"] == 0 and out["final_burst"] == 32 and out["tx"] > 10_000


def test_unmeasured_features_fall_back_to_the_safe_default(tmp_path, depth10):
    _, table = depth10  # synthetic features (latency, LLC, PCIe...) this app does not measure: NaN
    app = build_app(table, tmp_path)
    out = run_app(app, "--decide-every", "16", duration=1.0)
    assert out["decisions"] > 10
    assert set(out["decision_counts"]) == {str(table["safe_default"])}


def test_interval_reports_and_sighup_swaps_while_forwarding(app, tmp_path):
    """--interval-ms: one report per interval from the main lcore; --control + SIGHUP: a good .fpt is
    published while the workers forward, a damaged one is refused and the live tree stays."""
    import signal
    import time

    other = CONFIGS.index({"rx_desc": 1024, "tx_desc": 1024, "cores": 1, "burst": 16})
    good = pack.write_fpt(treelayout.compile_table(app_table(other)), tmp_path / "other.fpt")
    bad = tmp_path / "bad.fpt"
    bad.write_bytes(good.read_bytes()[:-4])  # truncated: its CRC no longer matches
    control = tmp_path / "control"
    proc = start_app(app, "--duration", "30", "--interval-ms", "200", "--control", str(control))
    lines = []
    try:

        def until(pred):
            for raw in proc.stdout:
                lines.append(json.loads(raw))
                if pred(lines[-1]):
                    return lines[-1]
            raise AssertionError("the app exited: " + proc.stderr.read()[-2000:])

        until(lambda m: m.get("type") == "interval" and m["k"] >= 3)
        for seq, path in ((1, bad), (2, good)):
            control.write_text(f"seq {seq}\ntree {path}\n")
            proc.send_signal(signal.SIGHUP)
            answer = until(lambda m: m.get("type") == "swap")
            assert answer["seq"] == seq and answer["tree"] == str(path)
            if path == bad:
                assert not answer["ok"] and "fp_load" in answer["error"] and answer["swaps"] == 0
            else:
                assert answer["ok"] and answer["error"] == "" and answer["swaps"] == 1
        until(lambda m: m.get("type") == "interval" and m["ran"] == other)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    lines += [json.loads(x) for x in rest.splitlines()]
    reports = [m for m in lines if m.get("type") == "interval"]
    assert [m["k"] for m in reports] == list(range(1, len(reports) + 1))  # one per interval, none lost
    assert all(abs(m["dt_s"] - 0.2) < 0.1 for m in reports[1:])
    assert reports[0]["ran"] == SAFE  # the app starts on the safe default
    before = [m for m in reports if m["swaps"] == 0 and m["k"] > 1]
    assert before and all(m["decision"] == BUSY for m in before)  # the compiled-in tree, busy traffic
    after = [m for m in reports if m["ran"] == other]
    assert after and all(m["burst"] == 16 and m["active_workers"] == 1 and m["tx"] > 0 for m in after)
    assert lines[-1]["decisions"] == len(reports) and "type" not in lines[-1]  # the statistics line, last


def test_repeated_swaps_while_worker_0_decides(app, tmp_path):
    """Worker 0 calls fp_decide every 32 bursts while the main lcore swaps 20 trees in: every swap
    is served, worker 0 never reads a freed tree (no invalid decision) and applies what the trees say."""
    import signal

    one = CONFIGS.index({"rx_desc": 1024, "tx_desc": 1024, "cores": 1, "burst": 16})
    two = CONFIGS.index({"rx_desc": 1024, "tx_desc": 1024, "cores": 2, "burst": 32})
    fpts = [pack.write_fpt(treelayout.compile_table(app_table(a)), tmp_path / f"t{a}.fpt") for a in (one, two)]
    control = tmp_path / "control"
    proc = start_app(app, "--duration", "60", "--decide-every", "32", "--control", str(control))
    answers = []
    try:
        for line in proc.stderr:  # the feature list is printed after the signal handlers are set
            if "features;" in line:
                break
        for i in range(20):
            control.write_text(f"seq {i}\ntree {fpts[i % 2]}\n")
            proc.send_signal(signal.SIGHUP)
            answers.append(json.loads(proc.stdout.readline()))
        # The decision in flight during the last swap may have read the old tree; the one after it
        # started after the swap, so wait for two more before stopping the app.
        deadline = time.monotonic() + 30
        statuses = []
        while not statuses or statuses[-1]["decisions"] < answers[-1]["decisions"] + 2:
            assert time.monotonic() < deadline, f"worker 0 stopped deciding: {statuses[-1:]}"
            control.write_text(f"seq {100 + len(statuses)}\nstatus\n")
            proc.send_signal(signal.SIGHUP)
            statuses.append(json.loads(proc.stdout.readline()))
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    assert [a["seq"] for a in answers] == list(range(20)) and all(a["ok"] for a in answers)
    assert [a["swaps"] for a in answers] == list(range(1, 21))
    final = json.loads(rest.strip().splitlines()[-1])
    assert final["swaps"] == 20 and final["invalid_decisions"] == 0
    assert [s["type"] for s in statuses] == ["status"] * len(statuses) and statuses[-1]["swaps"] == 20
    assert set(final["decision_counts"]) <= {str(BUSY), str(one), str(two)}
    # the last swap published `two` (i = 19), and worker 0 decided with it and applied it
    assert (final["last_decision"], final["final_burst"]) == (two, 32)
