"""`dpdktune calibrate`: the fit recovers known costs from simulated runs, and runs end to end on
real local testpmd measurements."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import yaml
from conftest import require_program
from dpdktune import calibrate
from dpdktune.hardware import load_hardware
from dpdktune.knobs import Knobs
from dpdktune.sim import simulate
from dpdktune.workloads import load_catalogue

BASE = "xeon6140-cx5-100g"


def _sim_measurements(hw, names=("flood64", "imix"), bursts=(4, 16, 64), cores=(1,)) -> list[calibrate.Measurement]:
    """'Measurements' made by the simulator itself on a profile whose costs we know."""
    catalogue = load_catalogue()
    out = []
    for name in names:
        for burst, n_cores in ((b, c) for b in bursts for c in cores):
            knobs = Knobs(256, 256, n_cores, burst)
            w = dataclasses.replace(catalogue[name], offered_mpps=500.0)
            m = simulate(w, hw, knobs, 0, noise_cv=0.0).metrics
            out.append(
                calibrate.Measurement(
                    run_id=f"{name}-{burst}-{n_cores}",
                    workload=catalogue[name],
                    knobs=knobs,
                    throughput_mpps=m["throughput_mpps"],
                    offered_mpps=m["throughput_mpps"],
                    cycles_per_packet=m["cycles_per_packet"],
                    mean_burst=None,
                    tsc_mhz=hw.cpu_ghz * 1000,
                    machine_cpus=hw.cores,
                    backend="local",
                    virtual_devices=True,
                )
            )
    return out


def test_fit_recovers_the_costs_that_made_the_measurements():
    base = load_hardware(BASE)
    truth = dataclasses.replace(
        calibrate.machine_profile(base, [], "truth"),
        cpu_ghz=2.45,
        cores=2,
        fwd_base_cycles=150.0,
        per_burst_cycles=520.0,
        **calibrate.VIRTUAL_LIMITS,
    )
    ms = _sim_measurements(truth)
    fitted, report = calibrate.fit(base, ms, "fitted")
    assert fitted.fwd_base_cycles == pytest.approx(150.0, rel=0.03)
    assert fitted.per_burst_cycles == pytest.approx(520.0, rel=0.05)
    assert fitted.cpu_ghz == pytest.approx(2.45)
    assert report["error_after"]["cpp_ratio_max_abs_err"] < 0.02
    assert report["error_before"]["cpp_ratio_max_abs_err"] > 0.1
    assert len(report["after"]) == len(ms)


def test_several_core_counts_fit_the_contention_too():
    base = load_hardware(BASE)
    truth = dataclasses.replace(
        calibrate.machine_profile(base, [], "truth"),
        cpu_ghz=2.45,
        cores=8,
        fwd_base_cycles=120.0,
        per_burst_cycles=400.0,
        core_contention=0.05,
        **calibrate.VIRTUAL_LIMITS,
    )
    ms = _sim_measurements(truth, names=("flood64",), bursts=(8, 32), cores=(1, 2, 4))
    fitted, report = calibrate.fit(base, ms, "fitted")
    assert fitted.core_contention == pytest.approx(0.05, rel=0.1)
    assert fitted.fwd_base_cycles == pytest.approx(120.0, rel=0.05)
    assert "core_contention" in report["note"] and report["error_after"]["cpp_ratio_max_abs_err"] < 0.02


def test_one_burst_size_keeps_the_burst_cost():
    base = load_hardware(BASE)
    ms = _sim_measurements(dataclasses.replace(base, fwd_base_cycles=200.0), bursts=(32,))
    fitted, report = calibrate.fit(base, ms, "one-burst")
    assert fitted.per_burst_cycles == base.per_burst_cycles
    assert "one burst size" in report["note"]


def test_profile_round_trips_through_load_hardware(tmp_path):
    base = load_hardware(BASE)
    fitted, _ = calibrate.fit(base, _sim_measurements(base, bursts=(8, 32)), "rt")
    path = calibrate.write_profile(fitted, tmp_path / "rt.yaml")
    assert load_hardware(path) == fitted
    assert "dpdktune calibrate" in yaml.safe_load(path.read_text())["sources"]["fwd_base_cycles"]


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([{"status": "failed", "backend": "local", "run_id": "a", "workload": "imix"}], "no usable measurements"),
        (
            [
                {
                    "status": "ok",
                    "backend": "sim",
                    "run_id": "a",
                    "workload": "imix",
                    "cycles_per_packet": 1.0,
                    "throughput_mpps": 1.0,
                }
            ],
            "no usable measurements",
        ),
        (
            [
                {
                    "status": "ok",
                    "backend": "local",
                    "run_id": "a",
                    "workload": "nope",
                    "cycles_per_packet": 1.0,
                    "throughput_mpps": 1.0,
                }
            ],
            "workload 'nope'",
        ),
    ],
)
def test_unusable_measurements_are_named(rows, match):
    with pytest.raises(ValueError, match=match):
        calibrate.measurements_from_rows(rows, load_catalogue())


@pytest.mark.slow
@pytest.mark.testpmd
def test_calibrate_on_real_local_testpmd_from_a_dataset(tmp_path, capsys):
    """Measure a burst sweep with real testpmd, store it as a dataset, calibrate from the file."""
    require_program("dpdk-testpmd", "calibrate measures with the local backend")
    from dpdktune.cli import main as cli_main
    from dpdktune.config import load_config
    from dpdktune.metrics.parquet import rows_to_table, write_table
    from dpdktune.metrics.schema import EXPERIMENT_SCHEMA

    config = load_config(
        overrides={
            "backend": "local",
            "local": {"warmup_s": 0.3, "measure_s": 0.8, "memory_mb": 512, "mbufs": 16384, "sample_interval_s": 0.4},
        }
    )
    flood = load_catalogue()["flood64"]
    rows = calibrate.measure(config, [flood], [Knobs(256, 256, 1, 8), Knobs(256, 256, 1, 32)])
    assert [r["status"] for r in rows] == ["ok", "ok"]
    for r in rows:
        r["campaign_id"] = "calib-test"
    dataset = tmp_path / "dataset.parquet"
    write_table(rows_to_table(rows, EXPERIMENT_SCHEMA), dataset, EXPERIMENT_SCHEMA, {"test": "calibrate"})

    out, report_path = tmp_path / "local-vm.yaml", tmp_path / "report.json"
    rc = cli_main(
        [
            "calibrate",
            "--measurements",
            str(dataset),
            "--name",
            "local-vm",
            "--out",
            str(out),
            "--report",
            str(report_path),
        ]
    )
    assert rc == 0
    printed = capsys.readouterr().out
    assert "sim/real" in printed and "flood64" in printed
    profile = load_hardware(out)
    report = json.loads(report_path.read_text())
    assert profile.name == "local-vm"
    assert profile.fwd_base_cycles == report["fitted"]["fwd_base_cycles"]
    assert profile.cpu_ghz == pytest.approx(json.loads(rows[0]["extra"])["tsc_mhz"] / 1000)
    assert len(report["after"]) == 2
    # least squares on log ratios never ends worse than where it started
    sq = lambda rows: float(np.sum(np.log([r["cpp_ratio"] for r in rows]) ** 2))  # noqa: E731
    assert sq(report["after"]) <= sq(report["before"]) + 1e-9
