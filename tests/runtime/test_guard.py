import json

import numpy as np
import pytest
from dpdktune.runtime.guard import Guard, SafeReference, offered_and_frame, traffic_key

A, B = ("kv", 1.0), ("web", 0.2)
SAFE = 7


def test_one_interval_below_the_safe_default_sends_the_next_to_it_at_once():
    g = Guard(SAFE, 0.01)
    assert g.filter(A, 3, 4) == (4, None)
    assert g.observe(A, A, 4, 0.5, 1.0)  # the tree's own choice, on this traffic, fell short
    assert g.filter(A, 4, 4) == (SAFE, "guard")
    assert not g.observe(A, A, SAFE, 0.5, 1.0)  # the safe default never trips the guard


def test_a_config_that_fell_short_is_vetoed_on_that_traffic_only():
    g = Guard(SAFE, 0.01)
    g.observe(A, A, 4, 0.5, 1.0)
    g.filter(A, 4, 4)
    g.observe(A, A, SAFE, 1.0, 1.0)
    assert g.filter(A, SAFE, 4) == (SAFE, "veto")
    g.observe(A, A, 5, 1.2, 1.0)  # config 5 measured fine here: a veto keeps it rather than flip to the safe default
    assert g.filter(A, 5, 4) == (5, "veto")
    assert g.filter(B, 5, 4) == (4, None)  # other traffic: config 4 was never measured bad there


def test_a_shortfall_carried_over_from_before_a_shift_trips_but_vetoes_nothing():
    g = Guard(SAFE, 0.01)
    assert g.observe(B, A, 4, 0.1, 1.0)  # config 4 was chosen on traffic A, then traffic B arrived
    assert g.filter(B, 4, 4) == (SAFE, "guard")
    assert g.filter(B, SAFE, 4) == (4, None)


def test_within_tolerance_does_not_trip_and_state_round_trips():
    g = Guard(SAFE, 0.02)
    assert not g.observe(A, A, 4, 0.985, 1.0)
    g.observe(A, A, 3, 0.5, 1.0)
    h = Guard(SAFE, 0.02)
    h.restore(g.state())
    assert h.state() == g.state() and h.filter(A, 3, 3) == (SAFE, "guard")


def test_the_veto_also_applies_to_what_the_ring_confirmation_makes_of_a_decision():
    g = Guard(SAFE, 0.01)
    g.observe(A, A, 5, 0.5, 1.0)  # 5 = the safe default's rings with the tree's cores: measured bad
    g.filter(A, 5, 9)
    assert g.veto(A, SAFE, 5) == (SAFE, "veto")


def test_a_decision_for_a_config_measured_worse_here_keeps_the_config_running():
    g = Guard(SAFE, 0.01)
    g.observe(A, A, 1, 10.0, 1.0)
    g.observe(A, A, 2, 5.0, 1.0)  # above the safe default, but half of config 1 on this traffic
    assert g.filter(A, 1, 2) == (1, "hold")
    assert g.filter(A, 2, 1) == (1, None)  # towards the better one: no hold
    assert g.filter(A, 1, 3) == (3, None)  # never measured here: the tree's choice stands
    assert g.filter(B, 1, 2) == (2, None)


NAMES = ("rx_mpps", "throughput_mpps", "mean_frame_bytes", "imissed_rate", "tx_drop_rate")


def _x(rx, missed, frame=128.0):
    return np.array([rx, rx, frame, missed, 0.0])


def test_the_traffic_key_is_the_offered_rate_and_frame_size_whatever_the_config_drops():
    # 10 Mpps offered: one config receives all of it, another misses 40 % at the NIC
    assert offered_and_frame(_x(6.0, 0.4), NAMES) == pytest.approx((10.0, 128.0))
    assert traffic_key(_x(10.0, 0.0), NAMES) == traffic_key(_x(6.0, 0.4), NAMES)
    assert traffic_key(_x(10.0, 0.0), NAMES) != traffic_key(_x(20.0, 0.0), NAMES)
    assert traffic_key(_x(10.0, 0.0), NAMES) != traffic_key(_x(10.0, 0.0, 1500.0), NAMES)
    assert traffic_key(_x(0.0, 0.0), NAMES) is None  # nothing arrived: no key
    assert traffic_key(_x(5.0, 0.2, float("nan")), NAMES) is None


def test_the_safe_reference_scales_the_learning_trials_share_with_the_measured_rate():
    # a cell at 10 Mpps where the safe default earns 2.5 (0.25 per Mpps), runs of two configs
    ref = SafeReference(NAMES, [(np.stack([_x(10.0, 0.0), _x(8.0, 0.2)]), 2.5)])
    assert ref.expected(_x(10.0, 0.0)) == pytest.approx(2.5)
    assert ref.expected(_x(10.2, 0.0)) == pytest.approx(0.25 * 10.2)  # same bucket, its own rate
    assert ref.expected(_x(40.0, 0.0)) == pytest.approx(10.0)  # no learning run there: the nearest key's share
    assert np.isnan(ref.expected(_x(0.0, 0.0)))


def test_an_interval_without_a_key_neither_trips_nor_vetoes_and_keys_survive_json():
    g = Guard(SAFE, 0.01)
    assert not g.observe(None, None, 4, 0.0, 1.0)
    assert not g.observe((3, 4), (3, 4), 4, 0.5, float("nan"))
    assert g.filter(None, 4, 5) == (5, None)
    g.observe((3, 4), (3, 4), 5, 0.5, 1.0)
    h = Guard(SAFE, 0.01)
    h.restore(json.loads(json.dumps(g.state())))
    assert h.state() == g.state() and (((3, 4), 5) in h.vetoed)


def test_traffic_that_looks_alike_takes_the_lowest_safe_default_share():
    # same rate and frame size: one cell's safe default meets the SLO (0.25 / Mpps), the other's misses it
    ref = SafeReference(NAMES, [(_x(15.0, 0.0)[None], 3.75), (_x(15.2, 0.0)[None], 0.9)])
    assert ref.expected(_x(15.0, 0.0)) == pytest.approx(15.0 * 0.9 / 15.2)


def test_what_the_safe_default_measured_on_a_key_replaces_the_twins_expectation_there():
    g = Guard(SAFE, 0.01)
    assert g.observe(A, A, 4, 0.5, 2.0)  # the twin expects 2.0 here: config 4 trips
    g.filter(A, 4, 4)
    assert not g.observe(A, A, SAFE, 0.25, 2.0)  # but the safe default itself earns 0.25 on this traffic
    assert not g.observe(A, A, 5, 0.5, 2.0)  # so a config earning twice that is no shortfall
    assert g.observe(A, A, 6, 0.2, 2.0)
    assert g.observe(B, B, 5, 0.5, 2.0)  # another key: the twin's expectation still holds
