import pyarrow as pa
from dpdktune.metrics.schema import EXPERIMENT_SCHEMA, METRIC_NAMES, TIMESERIES_METRICS, TIMESERIES_SCHEMA


def test_every_metric_is_a_column_with_a_numeric_type():
    for name in METRIC_NAMES:
        field = EXPERIMENT_SCHEMA.field(name)
        assert pa.types.is_floating(field.type) or pa.types.is_list(field.type), name
    assert EXPERIMENT_SCHEMA.field("cpu_util").type == pa.list_(pa.float32())


def test_requested_and_applied_knobs_are_both_recorded():
    for knob in ("rx_desc", "tx_desc", "cores", "burst"):
        assert knob in EXPERIMENT_SCHEMA.names
        assert f"applied_{knob}" in EXPERIMENT_SCHEMA.names


def test_timeseries_shares_one_clock():
    assert TIMESERIES_SCHEMA.names[:3] == ["run_id", "workload", "t_s"]
    assert set(TIMESERIES_METRICS) <= set(TIMESERIES_SCHEMA.names)
