import numpy as np
from dpdktune.knobs import Knobs
from dpdktune.runtime.loop import Run

from .helpers import SHIFT_AND_NOVEL, scenario, tiny_config


def _run(tmp_path, **runtime):
    config, _ = tiny_config(tmp_path, **runtime)
    return Run(
        config,
        scenario(tmp_path, SHIFT_AND_NOVEL[:1]),
        10,
        tmp_path / "out",
        "fast-only",
        seed=1,
        cache_dir=tmp_path / "twin",
    )


def test_a_ring_change_waits_for_confirmation_but_cores_apply_at_once(tmp_path):
    run = _run(tmp_path, ring_confirm_intervals=2)
    index = run._grid_index
    small = index[Knobs(256, 256, 1, 32)]
    big_4 = index[Knobs(1024, 1024, 4, 32)]
    big_2 = index[Knobs(1024, 1024, 2, 32)]
    st = {}
    first = run._debounce(st, small, big_4)
    assert first == index[Knobs(256, 256, 4, 32)]  # cores applied, rings kept
    assert run._debounce(st, first, big_2) == big_2  # the same rings asked twice in a row: applied
    st = {}
    run._debounce(st, small, big_4)
    run._debounce(st, small, small)  # the request lapses
    assert run._debounce(st, small, big_4) == index[Knobs(256, 256, 4, 32)]


def test_without_debounce_a_ring_change_applies_at_once(tmp_path):
    run = _run(tmp_path, ring_confirm_intervals=1)
    index = run._grid_index
    assert (
        run._debounce({}, index[Knobs(256, 256, 1, 32)], index[Knobs(1024, 1024, 4, 32)])
        == index[Knobs(1024, 1024, 4, 32)]
    )


def test_the_slow_tier_calibrates_the_twin_on_measured_objectives(tmp_path):
    from dpdktune.runtime.slowtier import SlowTier

    run = _run(tmp_path)
    run._setup()
    slow: SlowTier = run.slow
    cell = run.twin.cell("imix", 1.0)
    best = cell.best_train
    x = cell.live_features[best, 0]
    for t in range(3):  # the twin's best config measured far worse live
        slow.record(float(t), "imix", 1.0, best, x, cell.objective_train[best] * 0.1)
    slow.record(3.0, "imix", 1.0, best, x, None)  # a restart interval is not a measurement
    measured = slow.measured()
    assert measured == {("imix", 1.0): {best: cell.objective_train[best] * 0.1}}
    calibrated = slow.objective(("imix", 1.0), measured)
    assert np.argmax(calibrated) != best
    table = slow.fit_table([("imix", 1.0)], measured)
    from dpdktune.treelayout import compile_table, decide

    picks = decide(
        compile_table({**table, "confidence_threshold": 0.0}),
        np.asarray(cell.train_features.reshape(-1, cell.features.shape[-1]), np.float32),
    )
    assert np.mean(picks == best) < 0.5  # the refit stops sending this traffic to it
