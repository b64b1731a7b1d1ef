"""Provenance: the simulator's hardware is its profile; a real backend's is the probed host."""

from __future__ import annotations

import json

import pytest
from dpdktune.backends.sim import SimBackend
from dpdktune.metrics.provenance import backend_metadata, metadata_host, provenance

HOST = {
    "host": "dut1",
    "host_cpu": "Intel(R) Xeon(R) Gold 6140",
    "host_cores": "36",
    "host_sockets": "2",
    "host_nic": "0000:3b:00.0: ConnectX-5, driver mlx5_core",
    "host_kernel": "Linux 5.15.0",
    "dpdk_version": "DPDK 22.11.4",
    "hardware": "dut1: Intel(R) Xeon(R) Gold 6140, 2 socket(s)",
}


def _prov(backend: str, host=None) -> dict[str, str]:
    return provenance(
        config={"a": 1}, backend=backend, backend_version="v", hardware="xeon6140-cx5-100g", seed=1, host=host
    )


def test_sim_names_its_profile_and_says_it_is_simulated():
    prov = _prov("sim")
    assert prov["hardware"] == "xeon6140-cx5-100g"
    assert prov["hardware_source"].startswith("simulated")
    assert not any(k.startswith("host") for k in prov)


@pytest.mark.parametrize("backend", ["local", "ssh"])
def test_a_real_backend_records_the_probed_host_not_the_profile(backend):
    prov = _prov(backend, HOST)
    assert {k: prov[k] for k in HOST} == HOST
    assert prov["hardware_source"].startswith("probed")


@pytest.mark.parametrize("host", [None, {}, {"host_probe_error": "ssh dut1:22: refused"}])
def test_a_real_backend_without_a_probed_host_never_falls_back_to_the_profile(host):
    prov = _prov("ssh", host)
    assert "xeon6140" not in json.dumps(prov)
    assert prov["hardware"].startswith("unknown")


def test_batch_metadata_carries_the_backend_host_to_provenance():
    meta = backend_metadata(SimBackend())
    assert meta[b"backend_version"].decode().startswith("dpdktune-sim")
    assert metadata_host(meta) == {} and metadata_host({}) == {}
