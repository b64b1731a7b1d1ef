import numpy as np
import pytest
from dpdktune.dataset_arrays import Landscape, Normalizer
from dpdktune.fingerprint import FINGERPRINT_FEATURES
from dpdktune.knobs import expand_grid
from dpdktune.objective import objective_table


def test_every_record_lands_in_its_cell(landscape, records, config):
    assert landscape.features.shape == (6, 8, 2, len(FINGERPRINT_FEATURES))
    assert landscape.workloads == tuple(sorted(records.workload.unique()))
    assert landscape.grid == tuple(expand_grid(config["grid"]))
    assert not np.isnan(landscape.objective).any()


def test_the_oracle_is_the_best_mean_objective_of_the_objective_table(landscape, records, config):
    table = objective_table(records, config)
    assert np.allclose(landscape.oracle(), table.loc[list(landscape.workloads)].max(axis=1).to_numpy())
    assert np.allclose(landscape.normalized_mean().max(axis=1), 1.0)


def test_a_failed_run_is_missing_not_zero(records, config):
    broken = records.copy()
    broken.loc[0, "status"] = "failed"
    land = Landscape.from_records(broken, config)
    w = land.workloads.index(broken.loc[0, "workload"])
    assert np.isnan(land.objective[w]).sum() == 1
    assert np.isnan(land.features[w]).all(axis=-1).sum() == 1


def test_the_default_config_is_the_configured_one(landscape):
    knobs = landscape.grid[landscape.default_action]
    assert (knobs.rx_desc, knobs.tx_desc, knobs.cores, knobs.burst) == (1024, 1024, 4, 32)


def test_subset_names_unknown_workloads(landscape):
    assert landscape.subset(["rpc", "imix"]).workloads == ("rpc", "imix")
    with pytest.raises(ValueError, match="nosuch"):
        landscape.subset(["nosuch"])


def test_normalizer_maps_missing_to_zero_and_inverts(landscape):
    rows = landscape.all_feature_rows()
    norm = Normalizer.fit(rows)
    z = norm.transform(rows)
    assert np.allclose(z.mean(axis=0), 0, atol=1e-4)
    assert np.allclose(norm.inverse(z), rows, rtol=1e-4, atol=1e-6)
    with_gap = rows[0].copy()
    with_gap[3] = np.nan
    assert norm.transform(with_gap)[3] == 0.0
    assert norm.impute(with_gap)[3] == norm.mean[3]
    assert Normalizer.from_dict(norm.to_dict()).mean.tolist() == norm.mean.tolist()


def test_workloads_no_config_serves_are_left_out(landscape):
    from dataclasses import replace

    import numpy as np

    objective = landscape.objective.copy()
    objective[0] = 0.0  # the first workload: nothing meets the objective anywhere
    land = replace(landscape, objective=objective)
    assert land.scorable() == list(landscape.workloads[1:])
    assert land.scorable([landscape.workloads[0], landscape.workloads[2]]) == [landscape.workloads[2]]
    assert np.all(land.subset(land.scorable()).oracle() > 0)


def test_hardware_counters_are_an_opt_in_feature_set(records, config):
    from dpdktune.config import check_schema, deep_merge
    from dpdktune.fingerprint import DATAPLANE_FEATURES, HARDWARE_FEATURES, describe_feature_set, fingerprints

    wide = deep_merge(config, {"features": "dataplane+hardware"})
    land = Landscape.from_records(records, wide)
    assert land.feature_names == DATAPLANE_FEATURES + HARDWARE_FEATURES
    assert land.features.shape[-1] == len(DATAPLANE_FEATURES) + len(HARDWARE_FEATURES)
    assert list(fingerprints(records, wide).columns) == list(land.feature_names)
    assert Landscape.from_records(records, config).feature_names == DATAPLANE_FEATURES  # the default
    marked = describe_feature_set(land.feature_names)
    assert marked["name"] == "dataplane+hardware" and marked["hardware_counters"] == list(HARDWARE_FEATURES)
    with pytest.raises(Exception, match="features"):
        check_schema(deep_merge(config, {"features": "perf"}))
