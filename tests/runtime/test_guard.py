from dpdktune.runtime.guard import Guard

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
