"""A synthetic fingerprint -> action data set, for codegen tests and the microbenchmark.

Not a model of DPDK: it only gives trees of every depth (5-20) realistic feature scales and
a learnable label, so that code generation can be tested before a distilled tree exists.
"""

from __future__ import annotations

import numpy as np

from dpdktune.knobs import Knobs, expand_grid

GRID = {"rx_desc": [128, 256, 512, 1024, 2048], "tx_desc": [128, 256, 512, 1024, 2048], "cores": [1, 2, 4, 8, 16]}
# A fixed 13-feature space (the former all-metrics fingerprint), so goldens stay put whatever
# the fingerprint's feature set; per-feature (low, high) ranges in FEATURES order.
FEATURES = (
    "offered_mpps",
    "throughput_mpps",
    "mean_frame_bytes",
    "drop_rate",
    "latency_p50_us",
    "latency_p99_us",
    "cycles_per_packet",
    "useful_cycles_fraction",
    "llc_misses_per_packet",
    "pcie_rd_gbps",
    "pcie_wr_gbps",
    "dram_gbps",
    "ddio_hit_rate",
)
_RANGES = np.array(
    [
        (0.1, 150.0),
        (0.1, 150.0),
        (64.0, 1518.0),
        (0.0, 0.5),
        (1.0, 200.0),
        (2.0, 2000.0),
        (40.0, 2000.0),
        (0.05, 1.0),
        (0.0, 20.0),
        (0.5, 120.0),
        (0.5, 120.0),
        (1.0, 80.0),
        (0.0, 1.0),
    ]
)


def configs() -> list[Knobs]:
    return expand_grid(GRID)


def dataset(n: int, seed: int = 0, label_noise: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """X (n, 13) float32 in FEATURES order, y action indices into configs()."""
    assert len(_RANGES) == len(FEATURES)
    rng = np.random.default_rng(seed)
    lo, hi = _RANGES[:, 0], _RANGES[:, 1]
    u = rng.random((n, len(lo)))
    X = lo + (hi - lo) * u**2  # skewed towards low values, as rates are
    load = X[:, 0] / 150.0
    cores = np.clip(np.floor(np.log2(1 + 15 * load) + 0.3 * rng.standard_normal(n)), 0, 4)
    rx = np.clip(np.floor(5 * (X[:, 3] / 0.5) ** 0.5 + X[:, 5] / 1000), 0, 4)
    tx = np.clip(np.floor(5 * (X[:, 2] - 64) / 1454), 0, 4)
    y = (rx * 25 + tx * 5 + cores).astype(np.int64)
    noisy = rng.random(n) < label_noise
    y[noisy] = rng.integers(0, 125, noisy.sum())
    return X.astype(np.float32), y
