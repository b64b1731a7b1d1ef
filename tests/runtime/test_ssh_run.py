"""`dpdktune run --backend ssh`: the real CLI drives a real l2fwd_tune on the DUT of a loopback
testbed, through a real sshd on 127.0.0.1 (the app is built there from the uploaded sources).

Needs sshd (run as root), cc, make, pkg-config with libdpdk and DPDK's PMDs: skipped with the
reason when one is missing, failed under CI=true.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from backends.backend_helpers import Sshd, _keygen, children, wait_until
from dpdktune.knobs import expand_grid

from .helpers import cli_env
from .test_local_run import (
    LOCAL,
    PHASES,
    _checkpoint,
    _need_toolchain,
    _pids_with,
    assert_resumed,
    kill_and_resume,
    run_cmd,
)

pytestmark = [pytest.mark.sshd, pytest.mark.testpmd]


def _files(tmp_path: Path, testbed: dict, **over) -> tuple[Path, Path]:
    cfg = tmp_path / "ssh.yaml"
    data = {
        **LOCAL,
        "runtime": {"decision_interval_s": 1.0, "distill_every_s": 3.0},
        "ssh": {"testbeds": [testbed]},
        **over,
    }
    cfg.write_text(yaml.safe_dump(data))
    scn = tmp_path / "scenario.yaml"
    scn.write_text(yaml.safe_dump({"phases": PHASES}))
    return cfg, scn


def _cmd(cfg: Path, scn: Path, out: Path, duration: float) -> list[str]:
    return run_cmd(cfg, scn, out, duration, backend="ssh")


@pytest.mark.slow
def test_an_ssh_run_swaps_trees_into_the_dut_app_and_resumes_after_kill_9(tmp_path, sshd: Sshd):
    _need_toolchain()  # the loopback DUT builds l2fwd_tune with this machine's DPDK
    workdir = tmp_path / "dut"
    cfg, scn = _files(tmp_path, sshd.testbed(workdir=str(workdir)))
    out = tmp_path / "run"
    before, state, _ = kill_and_resume(_cmd(cfg, scn, out, 14), out, kill_at=5)
    frame, summary = assert_resumed(out, before, state, 14)
    assert summary["backend"] == "ssh"
    assert summary["app"]["testbed"] == "loopback" and summary["app"]["dut"] == f"root@127.0.0.1:{sshd.port}"
    # the app ran on the DUT: built in the testbed's workdir, its output came back over the channel
    assert summary["app"]["path"].startswith(str(workdir)) and summary["app"]["returncode"] == 0
    assert summary["app"]["decisions"] >= 1 and summary["app"]["invalid_decisions"] == 0

    # over ssh: at least one tree swapped in, and a decision of it applied by the remote app
    assert summary["swaps"] >= 1 and summary["swap_failures"] == 0
    assert frame.events.str.contains("swap").sum() == summary["swaps"]
    safe, grid = summary["safe_default"], expand_grid(LOCAL["grid"])
    ran = frame[(frame.config >= 0) & (frame.config != safe)]
    assert summary["applied_non_default_intervals"] == len(ran) >= 1
    assert (ran.tree_version > 0).all()
    for row in ran.itertuples():
        knobs = grid[row.config]
        assert (row.burst, row.cores) == (knobs.burst, min(knobs.cores, 2))
        assert (row.rx_desc, row.tx_desc) == (knobs.rx_desc, knobs.tx_desc)
    for e in summary["swap_events"]:  # each swap was answered by the remote app
        assert e["answer_ms"] > 0
    assert (frame.objective > 0).all()

    # nothing is left on the DUT: neither app (the killed one was reaped), nor pidfiles, nor run folders
    starts = _checkpoint(out)[1]["app_starts"]
    assert len(starts) == 2 and starts[0] == state["app_starts"][0]  # the killed app left no statistics
    for start in starts:
        assert _pids_with(start["prefix"]) == []
    assert list((workdir / "pids").glob("dpdktune_rt_*")) == []
    assert [p.name for p in (workdir / "rt").iterdir()] == ["trees"]
    assert not Path(f"/var/run/dpdk/{state['app_starts'][0]['prefix']}").exists()
    assert wait_until(lambda: not children(sshd.pid)), f"ssh sessions left open: {children(sshd.pid)}"


def test_ssh_run_failures_are_one_line_naming_the_key(tmp_path, sshd: Sshd):
    _need_toolchain()  # the last case reaches the DUT's build tools
    stranger = tmp_path / "stranger"
    _keygen(stranger)  # a key the sshd does not authorise
    cases = [
        (
            {"dut": {"host": "127.0.0.1", "port": 1, "user": "root", "key_file": str(sshd.key_file)}},
            {},
            "ssh.testbeds[0].dut.host: cannot reach root@127.0.0.1:1",
        ),
        (
            {"dut": {"host": "127.0.0.1", "port": sshd.port, "user": "root", "key_file": str(stranger)}},
            {},
            f"ssh.testbeds[0].dut.key_file: {stranger} is not accepted by root@127.0.0.1:{sshd.port}",
        ),
        (
            {"dut": {"host": "127.0.0.1", "port": sshd.port, "user": "root", "key_file": str(tmp_path / "nokey")}},
            {},
            f"ssh.testbeds[0].dut.key_file: {tmp_path / 'nokey'} does not exist",
        ),
        (
            {},
            {"codegen": {"cc": "no-such-cc"}},
            "codegen.cc: no-such-cc not found on the DUT of ssh.testbeds[0] (127.0.0.1; it compiles l2fwd_tune there)",
        ),
    ]
    for i, (bed, over, needle) in enumerate(cases):
        case = tmp_path / f"case{i}"
        case.mkdir()
        cfg, scn = _files(case, sshd.testbed(workdir=str(case / "dut"), **bed), **over)
        proc = subprocess.run(
            _cmd(cfg, scn, case / "run", 5), env=cli_env(), capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 2, (needle, proc.stderr[-2000:])
        assert needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, (needle, proc.stderr)
        assert not (case / "run" / "timeline.parquet").exists()
    # no testbed at all, and a testbed name that is not there
    cfg, scn = _files(tmp_path, sshd.testbed(), ssh={"testbeds": []})
    proc = subprocess.run(_cmd(cfg, scn, tmp_path / "r", 5), env=cli_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "ssh.testbeds: no testbed configured" in proc.stderr
    cfg, scn = _files(tmp_path, sshd.testbed())
    proc = subprocess.run(
        _cmd(cfg, scn, tmp_path / "r", 5) + ["--testbed", "box9"],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "--testbed: 'box9' is not in ssh.testbeds ['loopback']" in proc.stderr
