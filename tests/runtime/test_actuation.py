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
