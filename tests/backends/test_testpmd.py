"""testpmd command building and output parsing (the text is real dpdk-testpmd 22.11 output)."""

from __future__ import annotations

import shlex

import pytest
from dpdktune.backends import testpmd
from dpdktune.knobs import Knobs

FWD_STATS = """
  ---------------------- Forward statistics for port 0  ----------------------
  RX-packets: 19217184       RX-dropped: 0             RX-total: 19217184
  TX-packets: 0              TX-dropped: 0             TX-total: 0
  RX-bursts : 600547 [90% of 32 pkts + 7% of 0 pkts + 3% of other]
  ----------------------------------------------------------------------------

  ---------------------- Forward statistics for port 1  ----------------------
  RX-packets: 0              RX-dropped: 0             RX-total: 0
  TX-packets: 19217632       TX-dropped: 12            TX-total: 19217644
  RX-bursts : 600555 [100% of 0 pkts]
  TX-bursts : 600556 [0% of 0 pkts + 100% of 32 pkts]
  ----------------------------------------------------------------------------

  +++++++++++++++ Accumulated forward statistics for all ports+++++++++++++++
  RX-packets: 19217184       RX-dropped: 0             RX-total: 19217184
  TX-packets: 19217632       TX-dropped: 12            TX-total: 19217644
  ++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++

  CPU cycles/packet=125.02 (total cycles=2402614886 / total io packets=19217184) at 2450 MHz Clock
"""

PORT_STATS = """
  ######################## NIC statistics for port 0  ########################
  RX-packets: 240160     RX-missed: 7          RX-bytes:  14409600
  RX-errors: 0
  RX-nombuf:  3
  TX-packets: 1568       TX-errors: 0          TX-bytes:  100352

  Throughput (since last show)
  Rx-pps:            0          Rx-bps:            0
  Tx-pps:            0          Tx-bps:            0
  ############################################################################

  ######################## NIC statistics for port 1  ########################
  RX-packets: 332896     RX-missed: 0          RX-bytes:  0
  RX-errors: 0
  RX-nombuf:  0
  TX-packets: 1664       TX-errors: 0          TX-bytes:  0
  ############################################################################
"""

XSTATS = """###### NIC extended statistics for port 0
rx_good_packets: 216224
tx_good_packets: 3232
rx_missed_errors: 5
###### NIC extended statistics for port 1
rx_good_packets: 313120
tx_good_packets: 3360
"""


def test_fwd_stats_give_counters_bursts_and_cycles():
    fwd = testpmd.parse_fwd_stats(FWD_STATS)
    assert fwd["cycles_per_packet"] == 125.02
    assert fwd["total_cycles"] == 2402614886 and fwd["tsc_mhz"] == 2450
    assert fwd["ports"][1]["tx_dropped"] == 12
    rx0 = fwd["ports"][0]["rx_bursts"]
    assert rx0["bursts"] == 600547
    assert rx0["share_by_size"] == {"0": 0.07, "32": 0.9} and rx0["share_other"] == pytest.approx(0.03)
    # the accumulated block is not a port
    assert set(fwd["ports"]) == {0, 1}


def test_burst_distribution_counts_only_the_source_ports():
    fwd = testpmd.parse_fwd_stats(FWD_STATS)
    dist = testpmd.burst_distribution(fwd, [0])
    assert dist["polls"] == 600547
    assert dist["empty_poll_fraction"] == pytest.approx(0.07)
    assert dist["mean_per_poll"] == pytest.approx(19217184 / 600547)
    both = testpmd.burst_distribution(fwd, [0, 1])
    assert both["empty_poll_fraction"] > 0.5  # port 1 (no-rx sink) only polls empty


def test_port_stats_and_xstats():
    stats = testpmd.parse_port_stats(PORT_STATS)
    assert stats[0] == {
        "rx_packets": 240160,
        "rx_missed": 7,
        "rx_bytes": 14409600,
        "rx_errors": 0,
        "rx_nombuf": 3,
        "tx_packets": 1568,
        "tx_errors": 0,
        "tx_bytes": 100352,
    }
    assert stats[1]["rx_packets"] == 332896
    xs = testpmd.parse_xstats(XSTATS)
    assert xs == {
        0: {"rx_good_packets": 216224, "tx_good_packets": 3232, "rx_missed_errors": 5},
        1: {"rx_good_packets": 313120, "tx_good_packets": 3360},
    }


def test_version_banner():
    assert testpmd.parse_version("EAL: RTE Version: 'DPDK 22.11.11'\n") == "DPDK 22.11.11"
    assert "unknown" in testpmd.parse_version("nothing")


@pytest.mark.parametrize(("requested", "cpus", "applied"), [(1, 2, 1), (4, 2, 1), (4, 8, 4), (16, 8, 7), (2, 1, 1)])
def test_cores_are_clipped_to_the_machine(requested, cpus, applied):
    settings = testpmd.TestpmdSettings()
    cmd = testpmd.dut_command(settings, Knobs(512, 1024, requested, 64), cpus, "dpdktune_x", ["net_null0"], 64)
    assert cmd.applied == Knobs(512, 1024, applied, 64)
    argv = cmd.argv
    assert ["-l", f"0-{applied}"] == argv[argv.index("-l") : argv.index("-l") + 2]
    for flag in (
        f"--nb-cores={applied}",
        f"--rxq={applied}",
        "--rxd=512",
        "--txd=1024",
        "--burst=64",
        "--total-num-mbufs=32768",
        "--mbcache=256",
        "--forward-mode=io",
        "--record-core-cycles",
        "--record-burst-stats",
        "--file-prefix=dpdktune_x",
    ):
        assert flag in argv
    assert argv.index("--file-prefix=dpdktune_x") < argv.index("--") < argv.index("--rxd=512")
    assert shlex.split(cmd.shell()) == argv
    assert cmd.file_prefix == "dpdktune_x"


def test_jumbo_frames_get_big_mbufs():
    cmd = testpmd.dut_command(testpmd.TestpmdSettings(), Knobs(512, 512, 1, 32), 2, "p", [], 9018)
    assert "--max-pkt-len=9018" in cmd.app and "--mbuf-size=9274" in cmd.app


# values out of range: config/schema.yaml (tests/test_config_sections.py); here, the key the error names
@pytest.mark.parametrize("key", ["local", "ssh.run"])
def test_an_unknown_key_names_its_section(key):
    with pytest.raises(ValueError, match=rf"^{key}\.bogus: unknown key"):
        testpmd.TestpmdSettings.from_config({"bogus": 1}, key=key)
