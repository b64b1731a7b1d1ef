"""The one Arrow schema of an experiment record, and the one of its time series.

Every writer and reader in dpdktune goes through these two schemas. A metric a backend
could not measure is null, and `missing_reasons` (a JSON object) says why; it is never
invented.
"""

from __future__ import annotations

import pyarrow as pa

#: The metrics every backend reports, in this order, whatever the backend. `cpu_util` is per core.
METRIC_NAMES: tuple[str, ...] = (
    "throughput_mpps",
    "throughput_gbps",
    "offered_mpps",
    "drop_rate",
    "latency_p50_us",
    "latency_p99_us",
    "latency_p999_us",
    "cpu_util",
    "useful_cycles_fraction",
    "cycles_per_packet",
    "llc_misses_per_packet",
    "pcie_rd_gbps",
    "pcie_wr_gbps",
    "dram_gbps",
    "ddio_hit_rate",
    # what the data plane counts in its own loop (dpdktune.fingerprint's default feature set)
    "rx_mpps",
    "imissed_rate",
    "tx_drop_rate",
    "rx_burst_fill",
    "empty_poll_share",
    "rx_ring_occupancy",
)

#: What can bind a run, named in its `binding_limit` (the simulator's explanation of a run;
#: real backends cannot tell and write null).
BINDING_LIMITS: tuple[str, ...] = (
    "cpu",
    "rx-refill",
    "tx-completion",
    "pcie",
    "ddio/dram",
    "nic",
    "wire",
    "rss",
    "mbufs",
    "offered",
)

#: The tunable knobs, as requested and as applied by the backend.
KNOB_NAMES: tuple[str, ...] = ("rx_desc", "tx_desc", "cores", "burst")

_IDENTITY = [
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("campaign_id", pa.string(), nullable=False),
    pa.field("backend", pa.string(), nullable=False),
    pa.field("hardware", pa.string(), nullable=False),
    pa.field("workload", pa.string(), nullable=False),
    pa.field("trial", pa.int16(), nullable=False),
    pa.field("seed", pa.int64(), nullable=False),
]
_KNOBS = [pa.field(k, pa.int32(), nullable=False) for k in KNOB_NAMES]
_APPLIED = [pa.field(f"applied_{k}", pa.int32()) for k in KNOB_NAMES]
_METRICS = [pa.field(name, pa.list_(pa.float32()) if name == "cpu_util" else pa.float64()) for name in METRIC_NAMES]
_OUTCOME = [
    pa.field("binding_limit", pa.string()),  # one of BINDING_LIMITS, or null
    pa.field("status", pa.string(), nullable=False),  # "ok" | "failed"
    pa.field("failure_reason", pa.string()),
    pa.field("attempts", pa.int16(), nullable=False),
    pa.field("duration_s", pa.float64(), nullable=False),
    pa.field("finished_at", pa.timestamp("ms", tz="UTC"), nullable=False),
    pa.field("missing_reasons", pa.string()),  # JSON object: metric -> why it is null
    pa.field("extra", pa.string()),  # JSON object: backend-specific measurements
    pa.field("log_tail", pa.string()),
]

EXPERIMENT_SCHEMA = pa.schema(_IDENTITY + _KNOBS + _APPLIED + _METRICS + _OUTCOME)

#: Per-run time series, sampled at a fixed interval on one clock shared by all metrics:
#: `t_s` is seconds since the start of the measurement window.
TIMESERIES_METRICS: tuple[str, ...] = (
    "offered_mpps",
    "throughput_mpps",
    "dropped_mpps",
    "ring_occupancy",
    "latency_us",
    "cpu_busy_fraction",
    "pcie_wr_gbps",
    "dram_gbps",
)
TIMESERIES_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("workload", pa.string(), nullable=False),
        pa.field("t_s", pa.float64(), nullable=False),
    ]
    + [pa.field(name, pa.float64()) for name in TIMESERIES_METRICS]
)
