"""The local backend against real dpdk-testpmd (fails under CI=true when testpmd is missing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import require_program
from dpdktune.backends.base import RunFailed
from dpdktune.backends.local import LocalBackend, machine_cpus
from dpdktune.backends.testpmd import runtime_dir
from dpdktune.knobs import Knobs
from dpdktune.metrics.schema import METRIC_NAMES, TIMESERIES_METRICS

from .backend_helpers import FAST_RUN, eal_started, pids_with, spec, workload

pytestmark = pytest.mark.testpmd
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_two_config_grid_gives_measured_records(testpmd_program, tmp_path):
    grid = [Knobs(256, 256, 1, 32), Knobs(1024, 512, 4, 8)]
    backend = LocalBackend({**FAST_RUN, "workdir": str(tmp_path)})
    try:
        results = [backend.run(spec(k, run_id=f"g{i}")) for i, k in enumerate(grid)]
    finally:
        backend.close()
    assert backend.version().startswith("DPDK ")
    fwd_cores = max(1, machine_cpus() - 1)
    for knobs, r in zip(grid, results):
        assert r.metrics["throughput_mpps"] > 0
        assert set(r.metrics) == set(METRIC_NAMES)
        # every null metric says why
        assert all(r.missing_reasons.get(m) for m, v in r.metrics.items() if v is None)
        cmd = r.extra["command"]
        for flag in (
            f"--rxd={knobs.rx_desc}",
            f"--txd={knobs.tx_desc}",
            f"--burst={knobs.burst}",
            "--mbcache=256",
            "--total-num-mbufs=16384",
            "--forward-mode=io",
        ):
            assert flag in cmd
        assert "--file-prefix=dpdktune_" in cmd
        assert r.applied.cores == min(knobs.cores, fwd_cores)
        assert f"--nb-cores={r.applied.cores}" in cmd
        assert r.extra["requested"] == knobs.as_dict()
        assert r.extra["applied"]["cores"] == r.applied.cores
        assert bool(r.extra["clipped"]) == (knobs.cores != r.applied.cores)
        assert r.metrics["cycles_per_packet"] > 0
        assert 0 < r.metrics["useful_cycles_fraction"] <= 1
        assert len(r.metrics["cpu_util"]) == r.applied.cores + 1
        # an unpaced replay fills every non-empty poll: the mean burst is the configured one
        assert r.extra["burst_distribution"]["mean_per_nonempty_poll"] == pytest.approx(knobs.burst, rel=0.05)
        # the data plane's own counters come straight from port stats and testpmd's burst stats
        assert r.metrics["rx_burst_fill"] == pytest.approx(1.0, rel=0.05)
        assert r.metrics["empty_poll_share"] == r.extra["burst_distribution"]["empty_poll_fraction"]
        assert r.metrics["rx_mpps"] >= r.metrics["throughput_mpps"] * 0.95
        assert 0 <= r.metrics["imissed_rate"] <= 1 and 0 <= r.metrics["tx_drop_rate"] <= 1
        assert "rx_ring_occupancy" in r.missing_reasons  # testpmd does not print it
        ts = r.timeseries
        assert set(ts) == {"t_s", *TIMESERIES_METRICS}
        assert len(ts["t_s"]) >= 2 and np.all(np.diff(ts["t_s"]) > 0)
        assert np.nanmean(ts["throughput_mpps"]) > 0
        assert np.all(np.isnan(ts["latency_us"]))
        if r.metrics["llc_misses_per_packet"] is None:
            assert "perf" in r.missing_reasons["llc_misses_per_packet"]
    # no testpmd of ours is left, and neither are its runtime files
    assert pids_with(str(tmp_path)) == []


@pytest.mark.slow
def test_bidirectional_workload_forwards_both_ways(testpmd_program):
    backend = LocalBackend(FAST_RUN)
    try:
        r = backend.run(spec(Knobs(512, 512, 1, 32), workload("bidir", direction="bidir")))
    finally:
        backend.close()
    delta = r.extra["xstats_delta"]
    assert delta[0]["tx_good_packets"] > 0 and delta[1]["tx_good_packets"] > 0
    assert "net_null0,size=" in r.extra["command"]


@pytest.mark.slow
def test_testpmd_dies_with_a_killed_parent(testpmd_program, tmp_path):
    """SIGKILL the Python process that runs testpmd: PR_SET_PDEATHSIG takes testpmd down too."""
    script = textwrap.dedent(f"""
        import sys
        sys.path[:0] = {[str(REPO / "tests"), str(REPO / "tests" / "backends")]!r}
        from backend_helpers import FAST_RUN, spec
        from dpdktune.backends.local import LocalBackend
        from dpdktune.knobs import Knobs
        LocalBackend({{**FAST_RUN, "measure_s": 60, "deadline_s": 120, "workdir": {str(tmp_path)!r}}}).run(
            spec(Knobs(256, 256, 1, 32)))
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], start_new_session=False)
    try:
        # the parent's own command line holds tmp_path too, so testpmd is the other one, once EAL is up
        testpmd = lambda: [p for p in pids_with(str(tmp_path)) if p != parent.pid and eal_started(p)]  # noqa: E731
        deadline = time.monotonic() + 30
        while not testpmd() and time.monotonic() < deadline:
            assert parent.poll() is None, "the parent exited before testpmd started"
            time.sleep(0.1)
        assert testpmd(), "testpmd never started"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while pids_with(str(tmp_path)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pids_with(str(tmp_path)) == []
        # the killed run's EAL runtime dir goes with the next backend
        leftovers = lambda: list(runtime_dir("x").parent.glob(f"dpdktune_{parent.pid}_*"))  # noqa: E731
        LocalBackend(FAST_RUN).close()
        assert leftovers() == []
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def test_a_testpmd_that_fails_to_start_is_a_failed_run_with_its_output(tmp_path):
    fake = tmp_path / "fake-testpmd"
    fake.write_text("#!/bin/sh\necho 'EAL: Cannot init memory (test)' >&2\nexit 1\n")
    fake.chmod(0o755)
    backend = LocalBackend({**FAST_RUN, "testpmd": str(fake)})
    with pytest.raises(RunFailed) as err:
        backend.run(spec(Knobs(256, 256, 1, 32)))
    backend.close()
    assert "Cannot init memory (test)" in err.value.log_tail
    assert "exited with status 1" in err.value.reason


# a value out of range is config/schema.yaml's to refuse (tests/test_config_sections.py)
@pytest.mark.parametrize("bad", [{"warmup": 1}])
def test_bad_settings_name_the_key(bad):
    key = next(iter(bad))
    with pytest.raises(ValueError, match=f"local.*{key}"):
        LocalBackend(bad)


@pytest.mark.slow
def test_memif_topology_runs_or_says_why_not(testpmd_program):
    """With >= 4 CPUs memif runs on its own CPUs; with fewer the record says it fell back."""
    backend = LocalBackend({**FAST_RUN, "topology": "memif"})
    try:
        r = backend.run(spec(Knobs(256, 256, 1, 32)))
    finally:
        backend.close()
    topo = r.extra["topology"]
    assert topo["requested"] == "memif"
    if machine_cpus() < 4:
        assert topo["applied"] == "pcap_null" and "needs >= 4 CPUs" in topo["fallback_reason"]
    else:
        assert topo["applied"] == "memif" and r.extra["generator"]["offered_packets"] > 0
    assert r.metrics["throughput_mpps"] > 0


@pytest.fixture(scope="module")
def pktgen_binary() -> Path:
    require_program("make", "builds csrc/pktgen")
    require_program("pkg-config", "finds libdpdk for csrc/pktgen")
    out = subprocess.run(["make", "-C", str(REPO / "csrc" / "pktgen")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return REPO / "csrc" / "pktgen" / "build" / "dpdktune-pktgen"


@pytest.mark.slow
@pytest.mark.parametrize("generator", ["testpmd", "pktgen"])
def test_memif_generator_feeds_the_dut(testpmd_program, pktgen_binary, generator):
    """Generator + DUT over net_memif (CPUs shared on a small machine: functional only)."""
    paced = workload("paced")
    paced = type(paced)(**{**paced.__dict__, "offered_mpps": 0.2})
    backend = LocalBackend(
        {
            **FAST_RUN,
            "topology": "memif",
            "memif_oversubscribe": True,
            "generator": generator,
            "pktgen": str(pktgen_binary),
        }
    )
    try:
        r = backend.run(spec(Knobs(256, 256, 1, 32), paced))
    finally:
        backend.close()
    assert r.extra["topology"]["applied"] == "memif"
    gen = r.extra["generator"]
    assert gen["offered_packets"] > 0
    assert r.extra["packets"]["forwarded"] > 0
    assert r.metrics["throughput_mpps"] <= r.metrics["offered_mpps"] * 1.05
    if generator == "pktgen":
        # the paced generator never offers more than asked (it may offer less on shared CPUs)
        assert r.metrics["offered_mpps"] <= 0.2 * 1.1
