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
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import IN_CI, require_program
from dpdktune.knobs import expand_grid

from .helpers import cli_env, run_command

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


def run_cmd(cfg: Path, scn: Path, out: Path, duration: float, backend: str = "local") -> list[str]:
    return run_command(scn, cfg, duration, "--backend", backend, "--out", str(out))


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
    proc = subprocess.run(run_cmd(cfg, scn, out, 60), env=cli_env(), capture_output=True, text=True, timeout=600)
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
        run_cmd(cfg, scn, out, 120),
        env=cli_env(),
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
    proc = subprocess.run(
        run_cmd(cfg, scn, tmp_path / "run", 5), env=cli_env(), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run" / "app").exists()  # refused before anything was built


def test_other_policies_are_refused_on_local(tmp_path):
    cfg, scn = _files(tmp_path)
    proc = subprocess.run(
        run_cmd(cfg, scn, tmp_path / "run", 5) + ["--policy", "oracle"],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "--policy: 'oracle'" in proc.stderr


def _checkpoint(out: Path) -> tuple[pd.DataFrame, dict]:
    """The rows and the state a killed run left in its checkpoint."""
    import pyarrow.parquet as pq

    parts = sorted((out / "timeline.parts").glob("part-*.parquet"))
    if not parts:
        return pd.DataFrame(), {}
    frames = [f for f in (pd.read_parquet(p) for p in parts) if len(f)]
    state = json.loads(pq.read_schema(parts[-1]).metadata[b"dpdktune_state"])
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), state


def kill_and_resume(cmd: list[str], out: Path, kill_at: int) -> tuple[pd.DataFrame, dict, str]:
    """Start `cmd`, kill -9 it once its checkpoint holds `kill_at` rows and a swap, check that its
    app is gone, rerun it; the checkpoint's rows and state at the kill, and the rerun's stderr."""
    proc = subprocess.Popen(cmd, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        state: dict = {}
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                _, state = _checkpoint(out)
            except (OSError, ValueError, KeyError):  # a part between its write and its rename
                state = {}
            if state.get("k", 0) >= kill_at and state.get("swaps", 0) >= 1:
                break
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert state.get("k", 0) >= kill_at, "the run made no checkpoint in time"
        proc.kill()  # SIGKILL: no clean-up of any kind runs
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    before, state = _checkpoint(out)
    assert not (out / "summary.json").exists()  # nothing was written at exit
    rerun = subprocess.run(cmd, env=cli_env(), capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    return before, state, rerun.stderr


def assert_resumed(out: Path, before: pd.DataFrame, state: dict, n: int) -> tuple[pd.DataFrame, dict]:
    """The finished timeline keeps the killed run's rows bit for bit, repeats none, and its run
    time continues from the last of them; the slow tier went on from the killed run's state."""
    frame = pd.read_parquet(out / "timeline.parquet")
    summary = json.loads((out / "summary.json").read_text())
    m = len(before)
    assert 0 < m < n == len(frame) == summary["intervals"]
    assert summary["completed"] and summary["stopped_by"] is None
    # byte-identical: the rows' hashes cover every value's bits (NaN included)
    assert list(pd.util.hash_pandas_object(frame.iloc[:m], index=False)) == list(
        pd.util.hash_pandas_object(before, index=False)
    )
    t = frame.t_s.to_numpy()
    assert (np.diff(t) > 0).all() and frame.t_s.is_unique
    # run time continues: the first resumed row ends one window after the last kept one
    assert t[m] - t[m - 1] == pytest.approx(frame.dt_s[m], abs=0.05)
    # (a swap the killed app made after its last row is named there too, before the resume)
    assert frame.events[m].split(",")[-1] == "resume" and frame.events.str.contains("resume").sum() == 1
    assert frame.dt_s.sum() == pytest.approx(n, abs=0.1 * n) and t[-1] == pytest.approx(frame.dt_s.sum(), abs=1e-3)
    assert summary["resumes"] == [
        {"at_interval": m, "at_t_s": float(before.t_s.iloc[-1]), "down_s": summary["resumes"][0]["down_s"]}
    ]
    # the slow tier's state: counters carried on, the killed run's swaps kept, versions continue
    assert summary["swaps"] >= state["swaps"] >= 1 and summary["cycles"] >= state["cycles"]
    assert summary["swap_events"][: len(state["swap_events"])] == state["swap_events"]
    later = summary["swap_events"][len(state["swap_events"]) :]
    assert all(e["version"] > state["last_version"] for e in later if e["kind"] != "rollback")
    assert summary["republished_after_resume"] == (1 if state["live"]["version"] else 0)
    # the first cycle after the resume chose on the killed run's measurements too
    if later and later[0]["kind"] != "rollback":
        kept = before[before.t_s >= later[0]["t_s"] - 120.0]  # shadow_window_s
        counts = kept[~kept.restart].groupby("config").size()
        for c, k in counts.items():
            assert later[0]["means"][str(c)][1] >= k
    assert summary["app"]["starts"] == 2
    return frame, summary


@pytest.mark.slow
@pytest.mark.testpmd
def test_a_killed_local_run_resumes_where_its_checkpoint_ends(tmp_path):
    _need_toolchain()
    cfg, scn = _files(tmp_path, runtime={"decision_interval_s": 1.0, "distill_every_s": 3.0})
    out = tmp_path / "run"
    cmd = run_cmd(cfg, scn, out, 14)
    before, state, _ = kill_and_resume(cmd, out, kill_at=5)
    frame, summary = assert_resumed(out, before, state, 14)
    # the killed app is gone, and so is its EAL runtime folder (its stop() never ran)
    killed = state["app_starts"][0]["prefix"]
    assert _pids_with(killed) == [] and _pids_with(str(out)) == []
    assert not Path(f"/var/run/dpdk/{killed}").exists()
    assert not (Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp") / "dpdk" / killed).exists()
    assert _checkpoint(out)[1]["app_starts"][1]["prefix"] != killed and summary["app"]["returncode"] == 0

    # a rerun of the finished run runs nothing and says so
    again = subprocess.run(cmd, env=cli_env(), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "holds a finished run (14 intervals); nothing to run" in again.stderr
    assert pd.read_parquet(out / "timeline.parquet").equals(frame)
    # other arguments in the same folder are refused, not mixed in
    other = subprocess.run(run_cmd(cfg, scn, out, 20), env=cli_env(), capture_output=True, text=True, timeout=120)
    assert other.returncode == 2 and "holds a run with other arguments" in other.stderr
