import numpy as np
import pytest
from dpdktune.backends.base import RunFailed, RunSpec
from dpdktune.backends.sim import SimBackend
from dpdktune.knobs import Knobs
from dpdktune.sim.noise import injected_fault


def test_same_seed_same_result(run):
    a = run("mmpp", 512, 512, 2, seed=7, noise_cv=0.02)
    b = run("mmpp", 512, 512, 2, seed=7, noise_cv=0.02)
    assert a.metrics == b.metrics
    for key in a.timeseries:
        np.testing.assert_array_equal(a.timeseries[key], b.timeseries[key])


def test_trial_cv_close_to_configured(run):
    # a CPU-bound run: throughput follows the per-run speed factor
    values = [run("flood64", 512, 512, 1, seed=s, noise_cv=0.05).metrics["throughput_mpps"] for s in range(60)]
    cv = np.std(values) / np.mean(values)
    assert 0.035 < cv < 0.065
    assert len(set(values)) == len(values)


def test_no_noise_little_spread_when_cpu_bound(run):
    # only the rare OS stalls differ between seeds
    values = [run("flood64", 512, 512, 1, seed=s, noise_cv=0.0).metrics["throughput_mpps"] for s in range(10)]
    assert np.std(values) / np.mean(values) < 0.005


def _spec(catalogue, cx5, run_id, seed):
    return RunSpec(
        run_id=run_id, workload=catalogue["flood64"], hardware=cx5, knobs=Knobs(512, 512, 2, 32), trial=0, seed=seed
    )


def test_failure_prob_injects_run_failed_and_retry_can_succeed(catalogue, cx5):
    backend = SimBackend({"failure_prob": 0.5})
    failed, recovered = 0, 0
    for seed in range(40):
        spec = _spec(catalogue, cx5, f"r{seed}", seed)
        for attempt in range(10):
            try:
                backend.run(spec)
            except RunFailed as exc:
                assert exc.reason.startswith("injected fault: ")
                failed += 1
                continue
            recovered += attempt > 0
            break
        else:
            pytest.fail("ten attempts in a row failed at p=0.5")
    assert 10 < failed < 40 * 3 and recovered > 5


def test_no_faults_at_zero_probability(catalogue, cx5):
    backend = SimBackend({"failure_prob": 0.0})
    for seed in range(20):
        backend.run(_spec(catalogue, cx5, f"z{seed}", seed))
    assert all(injected_fault(s, 1, 0.0) is None for s in range(100))


def test_fault_draw_is_deterministic():
    draws = [injected_fault(s, a, 0.3) for s in range(50) for a in (1, 2)]
    assert draws == [injected_fault(s, a, 0.3) for s in range(50) for a in (1, 2)]
    assert 10 < sum(d is not None for d in draws) < 50
