"""The tunable DPDK knobs: one config point of the grid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from itertools import product


@dataclass(frozen=True, order=True)
class Knobs:
    rx_desc: int
    tx_desc: int
    cores: int
    burst: int = 32

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def expand_grid(grid: Mapping[str, Sequence[int]]) -> list[Knobs]:
    """Every config of the grid, in a fixed order (rx, tx, cores, burst): the action index space."""
    bursts = grid.get("burst", [32])
    return [
        Knobs(rx, tx, cores, burst)
        for rx, tx, cores, burst in product(grid["rx_desc"], grid["tx_desc"], grid["cores"], bursts)
    ]
