from dpdktune.config import load_config
from dpdktune.sim.landscape import best_configs, landscape


def test_best_config_differs_across_default_workloads():
    config = load_config("config/config.yaml")
    frame = landscape(config)
    assert len(frame) == 15 * 125
    best = best_configs(frame).set_index("workload")
    distinct = best[["rx_desc", "tx_desc", "cores", "burst"]].drop_duplicates()
    assert len(distinct) >= 4
    # physical reasons, not accidents: one flow needs one core; heavy per-packet work needs many
    assert best.loc["elephant", "cores"] == 1
    assert best.loc["reqheavy", "cores"] == 16
    assert best.loc["flood64", "cores"] > best.loc["large1500", "cores"]
