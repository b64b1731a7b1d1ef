import numpy as np
import pytest
from dpdktune.sim import rss


def test_one_flow_loads_one_queue():
    shares = rss.queue_shares("x", 1, 0.0, 512, 8)
    assert np.count_nonzero(shares) == 1 and shares.sum() == pytest.approx(1.0)


def test_many_uniform_flows_spread_evenly():
    shares = rss.queue_shares("y", 65536, 0.0, 512, 8)
    assert shares.max() < 1.05 / 8


def test_zipf_skew_loads_the_hottest_queue():
    flat = rss.queue_shares("z", 1024, 0.0, 512, 8).max()
    skewed = rss.queue_shares("z", 1024, 1.2, 512, 8).max()
    assert skewed > flat * 1.3


def test_shares_are_stable_per_workload():
    np.testing.assert_array_equal(rss.queue_shares("w", 100, 0.5, 128, 4), rss.queue_shares("w", 100, 0.5, 128, 4))


def test_bad_flow_count_names_the_key():
    with pytest.raises(ValueError, match="flows"):
        rss.queue_shares("bad", 0, 0.0, 128, 4)
