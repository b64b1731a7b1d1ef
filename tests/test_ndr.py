import dataclasses

import pytest
from dpdktune import ndr


@pytest.mark.parametrize("knee", [0.0, 3.3, 7.77, 10.0])
def test_binary_search_finds_the_highest_passing_rate_within_precision(knee):
    probes = []

    def loss(rate):
        probes.append(rate)
        return 0.0 if rate <= knee else 0.01

    rate, n = ndr.binary_search(loss, 10.0, 0.0, 0.01)
    assert rate <= knee and knee - rate <= 0.01 * 10.0 + 1e-12
    assert n == len(probes) and n <= 9


def test_search_on_the_simulator_brackets_the_loss_knee(small_config):
    from dpdktune.backends import make_backend
    from dpdktune.campaign.plan import campaign_workloads, load_campaign_hardware, workload_runs

    small_config["ndr"] = {"precision": 0.02}
    table = ndr.search_workload(small_config, "bursty")
    assert len(table) == 2 * 8 and set(table.kind) == {"NDR", "PDR"}
    wide = table.pivot_table(index="config_index", columns="kind", values="rate_mpps")
    assert (wide.PDR >= wide.NDR).all()
    backend = make_backend(small_config)
    hw = load_campaign_hardware(small_config)
    workload = next(w for w in campaign_workloads(small_config) if w.name == "bursty")
    specs = {s.knobs: s for s in workload_runs(small_config, workload, hw) if s.trial == 0}
    for row in table[table.kind == "NDR"].itertuples():
        spec = next(
            s
            for k, s in specs.items()
            if (k.rx_desc, k.tx_desc, k.cores, k.burst) == (row.rx_desc, row.tx_desc, row.cores, row.burst)
        )

        def loss(rate, spec=spec):
            probe = dataclasses.replace(spec, workload=dataclasses.replace(workload, offered_mpps=rate))
            return backend.run(probe).metrics["drop_rate"]

        if row.rate_mpps > 0:
            assert loss(row.rate_mpps) <= 0.0
        # Near the knee a bursty workload's loss is stochastic (on/off phases and stalls land differently at
        # each rate), so one probe above the NDR may pass; 10 % of the line rate above it the loss is persistent.
        if row.rate_mpps < 0.9 * row.line_mpps:
            assert loss(row.rate_mpps + 0.1 * row.line_mpps) > 0.0
    backend.close()


@pytest.mark.parametrize(
    "config, supported",
    [
        ({"backend": "sim"}, True),
        ({"backend": "local", "local": {"topology": "pcap_null", "generator": "testpmd"}}, False),
        ({"backend": "local", "local": {"topology": "memif", "generator": "pktgen"}}, True),
        ({"backend": "ssh", "ssh": {"testbeds": [{"generator_app": "trex"}]}}, True),
        ({"backend": "ssh", "ssh": {"testbeds": [{"generator_app": "testpmd-txonly"}]}}, False),
    ],
)
def test_rate_control_says_in_one_line_why_a_backend_cannot_search(config, supported):
    ok, why = ndr.rate_control(config)
    assert ok == supported
    assert (why == "") == supported and "\n" not in why
    if not supported:
        assert why.startswith("NDR/PDR search is not supported on this backend")


def test_an_unsupported_backend_gives_an_empty_table_and_the_reason(small_config):
    small_config = {**small_config, "backend": "local", "local": {"topology": "pcap_null", "generator": "testpmd"}}
    table, summary = ndr.run(small_config, ["bursty"], 1)
    assert table.empty and not summary["supported"] and "not supported" in summary["reason"]


@pytest.mark.slow
@pytest.mark.testpmd
def test_search_on_real_testpmd_with_the_paced_generator(testpmd_program, tmp_path):
    """The RFC 2544 search on backend local: csrc/pktgen paces each probe over net_memif into a real
    testpmd (CPUs shared on a small machine, so a functional check, not a measurement)."""
    import subprocess

    from conftest import require_program
    from dpdktune.config import load_config
    from snakemake_helpers import REPO

    require_program("make", "builds csrc/pktgen")
    require_program("pkg-config", "finds libdpdk for csrc/pktgen")
    built = subprocess.run(["make", "-C", str(REPO / "csrc/pktgen")], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    local = {
        "testpmd": testpmd_program,
        "topology": "memif",
        "generator": "pktgen",
        "pktgen": str(REPO / "csrc/pktgen/build/dpdktune-pktgen"),
        "memif_oversubscribe": True,
        "warmup_s": 0.3,
        "measure_s": 0.8,
        "memory_mb": 512,
        "mbufs": 16384,
        "workdir": str(tmp_path),
    }
    config = load_config(
        overrides={
            "backend": "local",
            "local": local,
            "workloads": ["lowrate"],
            "grid": {"rx_desc": [256], "tx_desc": [256], "cores": [1], "burst": [32]},
            "ndr": {"precision": 0.1},
        }
    )
    assert ndr.rate_control(config) == (True, "")
    table = ndr.search_workload(config, "lowrate")
    assert list(table.kind) == ["NDR", "PDR"] and (table.probes >= 1).all()
    ndr_rate, pdr_rate = table.rate_mpps
    line = table.line_mpps.iloc[0]
    # every probe ran on the real pair: the rates lie on the search's grid below the line rate
    assert 0.0 <= ndr_rate <= pdr_rate <= line
    # on 2 shared CPUs every probe may lose packets (a real rate needs the generator and the DUT on
    # their own cores); the search then probed all the way down, as it does when all probes lose
    if pdr_rate == 0.0:
        _, all_lose = ndr.binary_search(lambda rate: 1.0, line, 0.0, 0.1)
        assert (table.probes == all_lose).all()
