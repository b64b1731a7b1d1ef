"""Shared fixtures for the simulator tests: real profiles and the real workload catalogue."""

from __future__ import annotations

import pytest
from dpdktune.hardware import load_hardware
from dpdktune.knobs import Knobs
from dpdktune.sim import simulate
from dpdktune.workloads import load_catalogue


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="session")
def cx5():
    return load_hardware("xeon6140-cx5-100g")


@pytest.fixture(scope="session")
def run(catalogue, cx5):
    """run(workload, rx, tx, cores, burst=32, seed=0, hw=cx5, **sim) -> SimOutput (noise off)."""

    def _run(workload, rx, tx, cores, burst=32, seed=0, hw=None, **sim):
        w = catalogue[workload] if isinstance(workload, str) else workload
        return simulate(w, hw or cx5, Knobs(rx, tx, cores, burst), seed, **sim)

    return _run
