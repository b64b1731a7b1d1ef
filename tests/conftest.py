"""Shared test helpers: real programs are required in CI and skipped with a reason elsewhere."""

from __future__ import annotations

import os
import shutil

import pytest

# the real-daemon fixtures (sshd, testpmd_program, stalling_sshd) for every test module that asks
pytest_plugins = ["backends.backend_helpers"]

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_program(name: str, why: str = "") -> str:
    """The path of `name`; fails under CI=true, skips with a reason otherwise, when it is missing."""
    path = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.access(p, os.X_OK)), None
    )
    if path:
        return path
    message = f"{name} not found{': ' + why if why else ''}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: .ci/run must install it)")
    pytest.skip(message)


#: A campaign small enough for tests: 2 workloads x 8 configs x 2 trials on the simulator.
SMALL_CAMPAIGN = {
    "workloads": ["flood64", "bursty"],
    "grid": {"rx_desc": [256, 1024], "tx_desc": [512], "cores": [1, 4], "burst": [16, 32]},
    "trials": 2,
    "default_config": {"rx_desc": 1024, "tx_desc": 512, "cores": 4, "burst": 32},
}


@pytest.fixture
def small_config():
    from dpdktune.config import load_config

    return load_config(overrides=SMALL_CAMPAIGN)


#: A small real campaign from the simulator, shared by the analysis, baselines, validation and
#: report tests: 6 workloads x 18 configs x 2 trials = 216 simulated runs (about a second).
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


@pytest.fixture(scope="session")
def data():
    """(X, y) of codegen's synthetic data set: 4000 rows, seed 1 (tree.json, layout and codegen tests)."""
    from dpdktune.codegen import synthetic

    return synthetic.dataset(4000, seed=1)


@pytest.fixture(scope="session")
def depth10(data):
    """(classifier, tree.json dict) of a depth-10 tree on `data`."""
    from codegen.codegen_helpers import make_table

    X, y = data
    return make_table(X, y, 10)


@pytest.fixture(scope="session")
def layouts(tmp_path_factory):
    """dataset_layouts.Layouts: one small campaign as batch files, one file and a partitioned directory."""
    from dataset_layouts import write_layouts

    return write_layouts(tmp_path_factory.mktemp("layouts"))
