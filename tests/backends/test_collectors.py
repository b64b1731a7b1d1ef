"""Collectors: /proc/stat per core, perf stat (real where it runs), PCM CSV."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from dpdktune.backends import collectors


def test_proc_stat_of_this_machine():
    text = Path("/proc/stat").read_text()
    cpus = collectors.parse_proc_stat(text)
    assert 0 in cpus and all(busy <= total for busy, total in cpus.values())


def test_cpu_utilisation_between_snapshots():
    before = "cpu  1 1 1 1\ncpu0 100 0 100 800 0 0 0 0 0 0\ncpu1 0 0 0 1000 0 0 0 0 0 0\n"
    after = "cpu  1 1 1 1\ncpu0 150 0 150 900 0 0 0 0 0 0\ncpu1 0 0 0 1200 0 0 0 0 0 0\n"
    assert collectors.cpu_utilisation(before, after, [0, 1, 5]) == [0.5, 0.0, None]


def test_perf_not_supported_is_a_reason_not_a_number():
    out = "<not supported>,,LLC-load-misses,0,100.00,,\n<not supported>,,LLC-store-misses,0,100.00,,\n"
    value, why = collectors.llc_misses(out, "", 1000)
    assert value is None and "<not supported>" in why


def test_perf_counts_give_misses_per_packet():
    out = "1200,,LLC-load-misses,1000,100.00,,\n800,,LLC-store-misses,1000,100.00,,\n"
    assert collectors.llc_misses(out, "", 1000) == (2.0, None)


def test_real_perf_stat_parses():
    perf = shutil.which("perf")
    if perf is None:
        pytest.skip("perf not installed")
    sleeper = subprocess.Popen(["sleep", "2"])
    try:
        done = subprocess.run(
            ["sh", "-c", collectors.perf_command(perf, sleeper.pid, 0.2)], capture_output=True, text=True, timeout=30
        )
    finally:
        sleeper.kill()
        sleeper.wait()
    counts, missing = collectors.parse_perf_csv(done.stderr)
    # either real counts or a stated reason for every event, never silence
    assert all(e in counts or e in missing for e in collectors.PERF_EVENTS) or done.returncode != 0


def test_pcm_csv_columns_by_name():
    text = (
        "System,System,System,Socket 0\n"
        "Date,READ,WRITE,PCIe Rd (B)\n"
        "2026-01-01,10.0,5.0,100\n"
        "2026-01-01,20.0,15.0,300\n"
    )
    parsed = collectors.parse_pcm_csv(text)
    assert parsed["dram_gbps"] == pytest.approx(25.0)
    assert parsed["pcie_rd_gbps"] == pytest.approx(200.0)
