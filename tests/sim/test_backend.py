import numpy as np
import pytest
from dpdktune.backends import make_backend
from dpdktune.backends.base import Backend, RunSpec
from dpdktune.backends.sim import SimBackend
from dpdktune.knobs import Knobs
from dpdktune.metrics.schema import METRIC_NAMES, TIMESERIES_METRICS


def test_make_backend_builds_a_sim_backend():
    backend = make_backend({"backend": "sim", "sim": {"noise_cv": 0.0}})
    assert isinstance(backend, SimBackend) and isinstance(backend, Backend)
    assert backend.version().startswith("dpdktune-sim ")


def test_run_reports_every_metric_and_a_shared_clock(catalogue, cx5):
    backend = SimBackend({"noise_cv": 0.02, "window_ms": 5.0, "sample_interval_ms": 0.25})
    result = backend.run(RunSpec("a", catalogue["imix"], cx5, Knobs(1024, 512, 4, 32), 0, 1))
    assert tuple(result.metrics) == METRIC_NAMES
    assert all(result.metrics[k] is not None for k in METRIC_NAMES)
    assert len(result.metrics["cpu_util"]) == 4
    ts = result.timeseries
    assert set(ts) == {"t_s", *TIMESERIES_METRICS}
    assert len(ts["t_s"]) == 20 and all(len(v) == 20 for v in ts.values())
    np.testing.assert_allclose(np.diff(ts["t_s"]), 0.25e-3)
    # the series and the record come from the same steps
    assert np.mean(ts["throughput_mpps"]) == pytest.approx(result.metrics["throughput_mpps"], rel=1e-6)


def test_applied_knobs_are_clipped(catalogue, cx5):
    result = SimBackend().run(RunSpec("b", catalogue["kv"], cx5, Knobs(10**6, 4096, 1000, 32), 0, 1))
    assert result.applied == Knobs(cx5.nic_max_desc, 4096, cx5.max_lcores, 32)
    assert len(result.metrics["cpu_util"]) == cx5.max_lcores


def test_an_unknown_sim_key_is_named():  # values out of range: config/schema.yaml
    with pytest.raises(ValueError, match="sim.bogus"):
        SimBackend({"bogus": 1})


@pytest.mark.parametrize("knob", ["rx_desc", "tx_desc", "cores", "burst"])
def test_bad_knob_names_the_knob(catalogue, cx5, knob):
    values = {"rx_desc": 512, "tx_desc": 512, "cores": 2, "burst": 32, knob: 0}
    with pytest.raises(ValueError, match=f"knobs.{knob}"):
        SimBackend().run(RunSpec("c", catalogue["kv"], cx5, Knobs(**values), 0, 1))


def test_campaign_runner_records_fit_the_schema(tmp_path):
    from dpdktune.campaign.runner import run_inline
    from dpdktune.config import load_config
    from dpdktune.metrics.schema import EXPERIMENT_SCHEMA, TIMESERIES_SCHEMA

    config = load_config(
        "config/config.yaml",
        overrides={
            "workloads": ["elephant", "bursty"],
            "trials": 2,
            "grid": {"rx_desc": [128, 2048], "tx_desc": [512], "cores": [1, 4], "burst": [32]},
            "sim": {"noise_cv": 0.02, "failure_prob": 0.2, "window_ms": 10.0, "sample_interval_ms": 0.5},
        },
    )
    records, series = run_inline(config, tmp_path)
    assert records.schema.equals(EXPERIMENT_SCHEMA, check_metadata=False)
    assert series.schema.equals(TIMESERIES_SCHEMA, check_metadata=False)
    frame = records.to_pandas()
    assert len(frame) == 2 * 4 * 2
    assert frame.attempts.max() > 1  # injected faults were retried
    failed = frame[frame.status != "ok"]
    assert len(failed) <= 2 and failed.failure_reason.str.contains("injected fault").all()
    assert len(series) == (frame.status == "ok").sum() * 20


@pytest.mark.parametrize(
    ("workload", "knobs", "limit"),
    [
        ("flood64", Knobs(512, 512, 8, 32), "pcie"),
        ("lowrate", Knobs(512, 512, 1, 32), "offered"),
        ("large1500", Knobs(512, 512, 1, 32), "wire"),
        ("elephant", Knobs(512, 512, 1, 32), "cpu"),
        ("flood64", Knobs(64, 512, 1, 32), "rx-refill"),
    ],
)
def test_every_record_names_its_binding_limit(catalogue, cx5, workload, knobs, limit):
    from dpdktune.campaign.runner import run_with_retry
    from dpdktune.metrics.schema import BINDING_LIMITS

    spec = RunSpec("limit", catalogue[workload], cx5, knobs, 0, 1)
    record, _ = run_with_retry(SimBackend({"noise_cv": 0.0}), spec, {"attempts": 1})
    assert record["binding_limit"] == limit and limit in BINDING_LIMITS
