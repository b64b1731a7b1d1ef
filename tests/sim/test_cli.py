import json
import subprocess
import sys

import pytest
from dpdktune.metrics.schema import METRIC_NAMES


def _sim(*args):
    proc = subprocess.run(
        [sys.executable, "-m", "dpdktune.cli", "sim", *args], capture_output=True, text=True, timeout=60
    )
    return proc


@pytest.mark.parametrize("rx", ["4096", "8192"])
def test_prints_one_record_with_exactly_the_metric_names(rx):
    proc = _sim(
        "--hardware",
        "xeon6140-cx5-100g",
        "--workload",
        "flood64",
        "--rx-desc",
        rx,
        "--tx-desc",
        "1024",
        "--cores",
        "4",
        "--burst",
        "32",
        "--seed",
        "3",
    )
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert list(record) == list(METRIC_NAMES)
    assert len(record["cpu_util"]) == 4 and record["throughput_mpps"] > 0


def test_intel_profile_accepts_its_maximum_4096():
    proc = _sim(
        "--hardware",
        "xeon8180-82599-10g",
        "--workload",
        "bursty",
        "--rx-desc",
        "4096",
        "--tx-desc",
        "4096",
        "--cores",
        "2",
        "--burst",
        "64",
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["offered_mpps"] > 0


def test_clipped_knobs_are_reported_on_stderr():
    proc = _sim(
        "--hardware", "xeon8180-82599-10g", "--workload", "kv", "--rx-desc", "8192", "--tx-desc", "512", "--cores", "2"
    )
    assert proc.returncode == 0, proc.stderr
    assert "rx_desc 8192 applied as 4096" in proc.stderr
    assert list(json.loads(proc.stdout)) == list(METRIC_NAMES)


def test_same_seed_same_json():
    args = (
        "--workload",
        "mmpp",
        "--rx-desc",
        "512",
        "--tx-desc",
        "512",
        "--cores",
        "2",
        "--seed",
        "9",
        "--noise-cv",
        "0.02",
    )
    assert _sim(*args).stdout == _sim(*args).stdout


def test_unknown_workload_is_a_clear_error():
    proc = _sim("--workload", "nope", "--rx-desc", "512", "--tx-desc", "512", "--cores", "2")
    assert proc.returncode == 2
    assert "--workload: unknown workload 'nope'" in proc.stderr
