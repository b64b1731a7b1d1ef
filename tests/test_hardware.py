from dataclasses import MISSING, fields

import pytest
import yaml
from dpdktune.hardware import HARDWARE_DIR, HardwareProfile, load_hardware

PROFILES = ["xeon6140-cx5-100g", "xeon8180-xl710-40g", "xeon8180-82599-10g", "xeon8180-cx4lx-25g"]


def test_exactly_the_four_profiles_exist():
    assert sorted(p.stem for p in HARDWARE_DIR.glob("*.yaml")) == sorted(PROFILES)


@pytest.mark.parametrize("name", PROFILES)
def test_every_number_names_its_source(name):
    hw = load_hardware(name)
    numbers = {f.name for f in fields(HardwareProfile)} - {"name", "description", "sources"}
    assert numbers <= set(hw.sources), sorted(numbers - set(hw.sources))
    assert all(isinstance(v, str) and len(v) > 10 for v in hw.sources.values())


@pytest.mark.parametrize("name", PROFILES)
def test_profiles_are_physically_consistent(name):
    hw = load_hardware(name)
    assert hw.name == name
    assert 0 < hw.ddio_ways < hw.llc_ways
    assert hw.nic_max_desc >= 4096 and hw.nic_min_desc <= 128
    assert hw.ports >= 2 and hw.cores >= 16
    assert 0 <= hw.miss_overlap < 1 and 0 < hw.l2_usable_fraction <= 1


def test_default_profile_matches_the_issue():
    hw = load_hardware("xeon6140-cx5-100g")
    assert (hw.pcie_gen, hw.pcie_lanes, hw.link_gbps, hw.ddio_ways) == (3, 16, 100, 2)
    assert hw.ddio_bytes == pytest.approx(24.75 * 2**20 * 2 / 11)  # ~4.5 MB


def test_unknown_and_missing_keys_are_named(tmp_path):
    raw = yaml.safe_load((HARDWARE_DIR / "xeon6140-cx5-100g.yaml").read_text())
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**raw, "warp_drive": 1}))
    with pytest.raises(ValueError, match="warp_drive"):
        load_hardware(bad)
    required = next(f.name for f in fields(HardwareProfile) if f.default is MISSING and f.name != "name")
    del raw[required]
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match=required):
        load_hardware(bad)
    with pytest.raises(ValueError, match="unknown profile"):
        load_hardware("no-such-box")


@pytest.mark.parametrize("name", PROFILES)
def test_ring_cpu_and_placement_fields_are_sane(name):
    hw = load_hardware(name)
    assert hw.rx_burst_cap in (32, 64) and hw.tx_rs_thresh <= 64 and hw.rx_free_thresh <= 64
    assert hw.app_tx_mode == "immediate"  # the real backends run testpmd
    assert hw.mbuf_pool >= 8192 and hw.line_fill_buffers >= 1 and hw.l2_ways >= 4
    assert hw.max_lcores == hw.cores * hw.sockets * hw.smt_threads >= hw.cores
    assert 0 <= hw.smt_gain < 1 and hw.numa_remote_ns > hw.dram_latency_ns * 0.5
    assert hw.turbo_1core_ghz >= hw.turbo_allcore_ghz >= hw.cpu_ghz


def test_bad_tx_mode_is_one_named_error(tmp_path):
    raw = yaml.safe_load((HARDWARE_DIR / "xeon6140-cx5-100g.yaml").read_text())
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**raw, "app_tx_mode": "lazy"}))
    with pytest.raises(ValueError, match="app_tx_mode.*'lazy'"):
        load_hardware(bad)
