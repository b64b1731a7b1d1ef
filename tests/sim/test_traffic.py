import numpy as np
import pytest
from dpdktune.sim import traffic
from dpdktune.workloads import Arrival


@pytest.mark.parametrize(
    "arrival",
    [
        Arrival("cbr"),
        Arrival("poisson"),
        Arrival("onoff", on_us=200, off_us=600),
        Arrival("mmpp", mmpp_rate_factors=(0.2, 1.0, 4.0), mmpp_sojourn_us=(500, 300, 100)),
    ],
)
def test_rate_profile_keeps_the_offered_mean(arrival):
    rng = np.random.default_rng(0)
    rate = traffic.rate_profile(arrival, 10e6, 1e9, steps=20000, dt_us=10.0, rng=rng)  # 200 ms
    assert rate.mean() == pytest.approx(10e6, rel=0.08)


def test_onoff_peak_is_the_duty_cycle_inverse_capped_at_line_rate():
    rng = np.random.default_rng(1)
    rate = traffic.rate_profile(Arrival("onoff", on_us=100, off_us=300), 10e6, 1e9, 400, 5.0, rng)
    assert rate.max() == pytest.approx(40e6) and rate.min() == 0.0
    capped = traffic.rate_profile(Arrival("onoff", on_us=100, off_us=300), 10e6, 25e6, 400, 5.0, rng)
    assert capped.max() == pytest.approx(25e6)


def test_mmpp_visits_its_surge_state():
    rng = np.random.default_rng(2)
    arrival = Arrival("mmpp", mmpp_rate_factors=(0.2, 1.0, 4.0), mmpp_sojourn_us=(500, 300, 100))
    rate = traffic.rate_profile(arrival, 10e6, 1e9, 2000, 10.0, rng)
    assert rate.max() > 2.5 * rate.mean() and rate.min() < 0.5 * rate.mean()


def test_poisson_counts_vary_and_cbr_counts_do_not():
    rng = np.random.default_rng(3)
    rate = np.full(1000, 5e6)
    poisson = traffic.port_arrivals(rate, 1, 10.0, "poisson", rng)
    cbr = traffic.port_arrivals(rate, 1, 10.0, "cbr", rng)
    assert poisson.std() == pytest.approx(np.sqrt(50.0), rel=0.15)
    assert cbr.std() == 0 and cbr.mean() == pytest.approx(50.0)


def test_bad_arrival_names_the_key():
    with pytest.raises(ValueError, match="on_us"):
        traffic.rate_profile(Arrival("onoff"), 1e6, 1e9, 10, 10.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="mmpp"):
        traffic.rate_profile(
            Arrival("mmpp", mmpp_rate_factors=(1.0,), mmpp_sojourn_us=(1.0,)),
            1e6,
            1e9,
            10,
            10.0,
            np.random.default_rng(0),
        )
