"""`dpdktune run --backend local`: the real CLI drives the real l2fwd_tune on net_null.

Needs a C compiler, make, pkg-config with libdpdk (dpdk-dev) and DPDK's runtime with its
PMDs (the package that ships dpdk-testpmd): skipped with the reason when one is missing,
failed under CI=true.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import IN_CI, require_program
from dpdktune.knobs import expand_grid

REPO = Path(__file__).resolve().parents[2]
LOCAL = {
    "objective": "throughput_mpps",
    "grid": {"rx_desc": [512, 1024], "tx_desc": [512, 1024], "cores": [1, 2], "burst": [8, 32, 128]},
    "default_config": {"rx_desc": 1024, "tx_desc": 1024, "cores": 1, "burst": 32},
    "runtime": {"decision_interval_s": 1.0, "distill_every_s": 10.0},
    "local": {"runtime_workers": 2},
}
PHASES = [
    {"workload": "imix", "duration_s": 30, "load_scale": 1.0},
    {"workload": "kv", "duration_s": 30, "load_scale": 0.2},
]


def _need_toolchain() -> None:
    for program, why in (
        ("cc", "compiles l2fwd_tune"),
        ("make", "builds l2fwd_tune"),
        ("pkg-config", "finds libdpdk"),
        ("dpdk-testpmd", "stands for DPDK's runtime with its PMDs (net_null)"),
    ):
        require_program(program, why)
    if subprocess.run(["pkg-config", "--exists", "libdpdk"], timeout=30).returncode != 0:
        if IN_CI:
            pytest.fail("libdpdk not found by pkg-config (CI=true: .ci/run must install dpdk-dev)")
        pytest.skip("libdpdk not found by pkg-config (install dpdk-dev)")


def _files(tmp_path: Path, **over) -> tuple[Path, Path]:
    cfg = tmp_path / "local.yaml"
    cfg.write_text(yaml.safe_dump({**LOCAL, **over}))
    scn = tmp_path / "scenario.yaml"
    scn.write_text(yaml.safe_dump({"phases": PHASES}))
    return cfg, scn


def _cmd(cfg: Path, scn: Path, out: Path, duration: float) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dpdktune.cli",
        "run",
        "--backend",
        "local",
        "--scenario",
        str(scn),
        "--duration-s",
        str(duration),
        "--out",
        str(out),
        "--configfile",
        str(cfg),
    ]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "workflow")}


def _pids_with(marker: str) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    out.append(int(entry.name))
            except OSError:
                continue
    return out


@pytest.mark.slow
@pytest.mark.testpmd
def test_a_local_run_swaps_trees_into_the_running_app_and_applies_them(tmp_path):
    _need_toolchain()
    cfg, scn = _files(tmp_path)
    out = tmp_path / "run"
    proc = subprocess.run(_cmd(cfg, scn, out, 60), env=_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _pids_with(str(out)) == []  # the app is gone
    summary = json.loads((out / "summary.json").read_text())
    frame = pd.read_parquet(out / "timeline.parquet")
    line = json.loads(proc.stdout.strip().splitlines()[-1])
    assert line["swaps"] == summary["swaps"] and line["intervals"] == summary["intervals"]

    assert summary["completed"] and summary["app"]["returncode"] == 0
    assert len(frame) == summary["intervals"] == 60
    assert summary["swaps"] >= 1 and summary["swap_failures"] == 0
    swaps = [e for e in summary["swap_events"] if e["kind"] != "rollback"]
    assert len(swaps) == summary["swaps"]
    for e in swaps:  # each published tree is on disk and decides the config the event names
        tree = json.loads((out / "trees" / f"v{e['version']}.json").read_text())
        assert {n["action"] for n in tree["nodes"] if n["feature"] == -1} == {e["config"]}
    assert frame.events.str.contains("swap").sum() == summary["swaps"]

    # a non-default decision was applied: the app ran it, with that config's burst and cores
    safe = summary["safe_default"]
    grid = expand_grid(LOCAL["grid"])
    ran = frame[(frame.config >= 0) & (frame.config != safe)]
    assert summary["applied_non_default_intervals"] == len(ran) >= 1
    for row in ran.itertuples():
        knobs = grid[row.config]
        assert row.burst == knobs.burst and row.cores == min(knobs.cores, 2)
        assert (row.rx_desc, row.tx_desc) == (knobs.rx_desc, knobs.tx_desc)
    # ... and it was decided by a swapped-in tree (version > 0), not by the compiled-in default
    assert (ran.tree_version > 0).all()
    assert set(frame.config[frame.tree_version == 0]) <= {safe}

    # the objective is the real forwarded rate; nothing invented for latency or the oracle
    assert np.allclose(frame.objective, frame.tx / frame.dt_s / 1e6)
    assert (frame.objective > 0).all()
    assert frame[["latency_p50_us", "latency_p99_us", "latency_p999_us", "oracle_objective"]].isna().all().all()
    assert summary["fraction_of_oracle"] is None and summary["load_phases_replayed"] is False
    assert set(frame.workload) == {"imix", "kv"}  # the phases label the rows
    # what net_null sends, measured by the app; rx and bytes are read one after the other while the
    # workers count, so a window's ratio can be off by a burst's worth
    assert np.allclose(frame.f_mean_frame_bytes, 64, rtol=1e-3)
    assert summary["app"]["decisions"] >= 60 and summary["app"]["invalid_decisions"] == 0


@pytest.mark.slow
@pytest.mark.testpmd
def test_ctrl_c_stops_the_app_and_keeps_what_ran(tmp_path):
    _need_toolchain()
    cfg, scn = _files(tmp_path)
    out = tmp_path / "run"
    proc = subprocess.Popen(
        _cmd(cfg, scn, out, 120),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as a terminal delivers it: a child inherits an ignored SIGINT (pytest run in the
        # background, or a library earlier in the session), and Python then raises no
        # KeyboardInterrupt
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not (out / "app.log").exists():
            time.sleep(0.2)
        app_pids = []
        while time.monotonic() < deadline and not app_pids:
            app_pids = [p for p in _pids_with(str(out / "app" / "l2fwd_tune")) if p != proc.pid]
            time.sleep(0.2)
        assert app_pids, "l2fwd_tune never started"
        time.sleep(5)  # a few intervals
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted" in err and "Traceback" not in err
    assert _pids_with(str(out)) == []
    summary = json.loads((out / "summary.json").read_text())
    assert summary["completed"] is False and summary["stopped_by"] == "interrupt"
    assert summary["intervals"] == len(pd.read_parquet(out / "timeline.parquet")) >= 1


@pytest.mark.parametrize(
    "over, needle",
    [
        ({"objective": "cores_at_slo"}, "objective: cores_at_slo needs latency"),
        ({"features": "dataplane+hardware"}, "features: l2fwd_tune does not measure"),
    ],
)
def test_what_local_cannot_measure_is_refused_in_one_line(tmp_path, over, needle):
    cfg, scn = _files(tmp_path, **over)
    proc = subprocess.run(_cmd(cfg, scn, tmp_path / "run", 5), env=_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run" / "app").exists()  # refused before anything was built


def test_other_policies_are_refused_on_local(tmp_path):
    cfg, scn = _files(tmp_path)
    proc = subprocess.run(
        _cmd(cfg, scn, tmp_path / "run", 5) + ["--policy", "oracle"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "--policy: 'oracle'" in proc.stderr
