"""A small real campaign from the simulator, shared by this directory's tests."""

from __future__ import annotations

import pytest

#: 6 workloads x 18 configs x 2 trials = 216 simulated runs (about a second).
CAMPAIGN = {
    "workloads": ["flood64", "large1500", "bursty", "lowrate", "imix", "kv"],
    "grid": {"rx_desc": [128, 512, 2048], "tx_desc": [256, 1024], "cores": [1, 4, 16], "burst": [32]},
    "trials": 2,
    "default_config": {"rx_desc": 512, "tx_desc": 1024, "cores": 4, "burst": 32},
    "baselines": {"split_repeats": 4, "test_fraction": 0.34, "bootstrap": 200},
}


@pytest.fixture(scope="session")
def campaign(tmp_path_factory):
    """(config, records DataFrame) of the small campaign."""
    from dpdktune.campaign.runner import run_inline
    from dpdktune.config import load_config

    config = load_config(overrides=CAMPAIGN)
    records, _ = run_inline(config, tmp_path_factory.mktemp("campaign"))
    return config, records.to_pandas()


@pytest.fixture
def records(campaign):
    return campaign[1].copy()


@pytest.fixture
def config(campaign):
    import copy

    return copy.deepcopy(campaign[0])
