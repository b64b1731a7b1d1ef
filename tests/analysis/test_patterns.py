import numpy as np
import pandas as pd
from dpdktune.analysis import patterns


def _slices(flip: bool) -> pd.DataFrame:
    """Two workloads, each with lines at low and high 'llc' where rx_desc helps or hurts."""
    rows = []
    for w in ("a", "b", "c"):
        for i in range(6):
            high = i % 2 == 0
            rho = (-0.8 if high else 0.7) if flip else 0.6
            rows.append(
                {
                    "workload": w,
                    "knob": "rx_desc",
                    "at": str(i),
                    "rho": rho + 0.01 * i,
                    "llc_misses_per_packet": 3.0 + i if high else 0.1 * i,
                    "drop_rate": 0.01 * i,
                }
            )
    return pd.DataFrame(rows)


def test_reversal_is_found_with_its_direction_and_support():
    found = patterns.reversals(_slices(flip=True), "throughput_mpps", split=0.5)
    row = found[found.condition == "llc_misses_per_packet"].iloc[0]
    assert row.rho_high < 0 < row.rho_low
    assert row.workloads_support == 3 and row.support == 1.0
    assert "smaller rx_desc is better" in row.statement


def test_no_reversal_when_the_effect_keeps_its_sign():
    assert patterns.reversals(_slices(flip=False), "throughput_mpps", split=0.5).empty


def test_importance_ranks_non_definitional_metrics(records, config):
    table = patterns.metric_importance(records, config, seed=0)
    assert set(table[table.definitional].metric) == patterns.definitional(config["objective"]) & set(table.metric)
    assert {"pcie_rd_gbps", "throughput_mpps"} <= set(table[table.definitional].metric)
    assert table[table.definitional]["rank"].isna().all()
    ranked = table[~table.definitional].sort_values("rank")
    assert list(ranked.mutual_info) == sorted(ranked.mutual_info, reverse=True)
    assert ranked.spearman.between(-1, 1).all()


def test_correlation_matrix_is_symmetric_with_unit_diagonal(records, config):
    corr = patterns.correlation_matrix(records, config).pivot(index="metric", columns="other", values="spearman")
    assert np.allclose(corr.to_numpy(), corr.to_numpy().T, equal_nan=True)
    assert np.allclose(np.diag(corr.to_numpy()), 1.0)
    assert "objective" in corr.columns


def test_slice_effects_cover_each_grid_line(records, config):
    lines = patterns.slice_effects(records, config)
    # rx_desc lines: 6 workloads x (2 tx x 3 cores); cores lines: 6 x (3 rx x 2 tx); tx has 2 levels: no lines
    assert (lines.knob == "rx_desc").sum() <= 36 and (lines.knob == "cores").sum() <= 36
    assert set(lines.knob) <= {"rx_desc", "cores"}
    assert lines.rho.between(-1, 1).all()


def test_grids_with_two_levels_give_no_lines_and_no_patterns(records, config):
    small = records[records.rx_desc.isin([128, 2048]) & records.cores.isin([1, 16])]
    lines = patterns.slice_effects(small, config)
    assert lines.empty and "rho" in lines.columns
    assert patterns.reversals(lines, "throughput_mpps").empty


def test_importance_of_a_campaign_too_small_for_the_knn_estimator(records, config):
    """Mutual information's k-NN estimator (3 neighbours) needs more runs than neighbours: a first
    real campaign of 2 or 3 runs is still ranked, with fewer neighbours."""
    ok = records[records.status == "ok"].sort_values("throughput_mpps")
    for n in (2, 3):
        table = patterns.metric_importance(ok.iloc[[0, len(ok) // 2, -1][:n]], config, seed=0)
        assert len(table) and table.mutual_info.notna().all()
