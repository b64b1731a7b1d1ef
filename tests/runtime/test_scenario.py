import math

import pytest
from dpdktune.runtime.scenario import expand, load_class, parse

KNOWN = {"imix", "kv", "web", "video"}
LEVELS = [0.2, 0.5, 1.0]


def test_phases_expand_in_order_and_mark_shifts():
    steps = parse(
        {
            "phases": [
                {"workload": "imix", "duration_s": 30, "load_scale": 1.0},
                {"workload": "imix", "duration_s": 20, "load_scale": 0.95},
                {"workload": "kv", "duration_s": 10, "load_scale": 0.2},
            ]
        },
        KNOWN,
    )
    segs = expand(steps, LEVELS)
    assert [(s.workload, s.start_s, s.shift) for s in segs] == [
        ("imix", 0, True),
        ("imix", 30, False),
        ("kv", 50, True),
    ]
    assert segs[-1].end_s == 60


def test_expand_repeats_a_short_scenario_and_cuts_at_the_duration():
    steps = parse(
        {
            "phases": [
                {"workload": "imix", "duration_s": 30, "load_scale": 1.0},
                {"workload": "kv", "duration_s": 30, "load_scale": 1.0},
            ]
        },
        KNOWN,
    )
    segs = expand(steps, LEVELS, duration_s=100)
    assert [s.workload for s in segs] == ["imix", "kv", "imix", "kv"]
    assert math.isclose(segs[-1].end_s, 100) and math.isclose(segs[-1].duration_s, 10)


def test_diurnal_is_lowest_at_the_start_and_highest_at_half_the_period():
    steps = parse(
        {
            "phases": [
                {
                    "diurnal": {
                        "duration_s": 86400,
                        "period_s": 86400,
                        "min_scale": 0.1,
                        "max_scale": 1.0,
                        "step_s": 3600,
                        "workloads": ["web"],
                    }
                }
            ]
        },
        KNOWN,
    )
    scales = [s for _, _, s in steps]
    assert len(steps) == 24
    assert scales.index(max(scales)) in (11, 12) and scales[0] < 0.12 and max(scales) > 0.99


def test_shifts_change_workload_every_5_to_10_minutes():
    steps = parse(
        {
            "phases": [
                {"shifts": {"duration_s": 7200, "workloads": ["imix", "kv", "web"], "every_s": [300, 600], "seed": 3}}
            ]
        },
        KNOWN,
    )
    assert all(300 <= d <= 600 for _, d, _ in steps[:-1])
    assert all(a[0] != b[0] for a, b in zip(steps, steps[1:]))
    assert math.isclose(sum(d for _, d, _ in steps), 7200)


def test_load_class_snaps_on_a_log_scale():
    assert load_class(0.3, LEVELS) == 0.2 and load_class(0.34, LEVELS) == 0.5 and load_class(3, LEVELS) == 1.0


@pytest.mark.parametrize(
    "raw, key",
    [
        ({"phases": [{"workload": "nope", "duration_s": 1}]}, "phases[0].workload"),
        ({"phases": [{"workload": "imix", "duration_s": -1}]}, "phases[0].duration_s"),
        ({"phases": [{"workload": "imix", "duration_s": 1, "speed": 2}]}, "phases[0].speed"),
        ({"phases": [{"shifts": {"duration_s": 10, "workloads": ["imix"], "every_s": [5, 1]}}]}, "shifts.every_s"),
        ({"phases": []}, "phases"),
        ({"stages": []}, "phases"),
    ],
)
def test_bad_scenarios_name_the_key(raw, key):
    with pytest.raises(ValueError, match=key.replace("[", r"\[").replace("]", r"\]")):
        parse(raw, KNOWN)
