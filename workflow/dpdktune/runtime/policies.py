"""The baselines the runtime is compared with, each deciding once per interval like the fast tier.

- `static`: the best static config, by mean relative objective over the campaign's cells.
- `rules`: the Phase-1 rule list (`baselines.RuleBased`), fitted on the campaign's
  default-config fingerprints, applied each interval to the features the data plane shows now.
- `reactive`: what operators run today, the shape of DPDK's l3fwd-power heuristic and of
  Shenango/Caladan core allocation: add a core (and raise the burst) when the rx ring fills or
  packets are lost, take one away when the cores mostly poll empty rings; rings stay at the
  default (a resize restarts the port, which such controllers avoid). Its thresholds are fixed
  before any run (not tuned on the scenarios): scale up at ring occupancy > 0.25 or loss above
  the SLO's loss; scale down at empty-poll share > 0.9 with occupancy < 0.02 and loss below a
tenth of the SLO's (the simulator's loss is never exactly 0), at
  most once per `cooldown` intervals after a scale-up (hysteresis against flapping).
- `oracle`: the cell's best config (it knows the traffic), restarts charged like everyone's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dpdktune.fingerprint import default_knobs
from dpdktune.knobs import Knobs
from dpdktune.sections import section

UP_OCCUPANCY, DOWN_EMPTY, DOWN_OCCUPANCY = 0.25, 0.9, 0.02


class Reactive:
    def __init__(self, grid: list[Knobs], features, config: dict[str, Any], cooldown: int = 10):
        self.grid = grid
        self.index = {k: i for i, k in enumerate(grid)}
        self.f = {name: i for i, name in enumerate(features)}
        self.cores = sorted({k.cores for k in grid})
        self.bursts = sorted({k.burst for k in grid})
        d = default_knobs(config)
        self.rings = (d.rx_desc, d.tx_desc)
        self.loss = section(config, "slo").loss
        self.cooldown = cooldown
        self.since_up = cooldown
        self.start = self.index[d]

    def _get(self, x: np.ndarray, name: str) -> float:
        return float(x[self.f[name]]) if name in self.f and np.isfinite(x[self.f[name]]) else 0.0

    def decide(self, current: int, x: np.ndarray) -> int:
        k = self.grid[current]
        c, b = self.cores.index(k.cores), self.bursts.index(k.burst)
        occupancy = self._get(x, "rx_ring_occupancy")
        lost = self._get(x, "imissed_rate") + self._get(x, "tx_drop_rate")
        empty = self._get(x, "empty_poll_share")
        self.since_up += 1
        if occupancy > UP_OCCUPANCY or lost > self.loss:
            c, b = min(c + 1, len(self.cores) - 1), min(b + 1, len(self.bursts) - 1)
            self.since_up = 0
        elif (
            empty > DOWN_EMPTY
            and occupancy < DOWN_OCCUPANCY
            and lost < self.loss / 10
            and self.since_up >= self.cooldown
        ):
            c, b = max(c - 1, 0), max(b - 1, 0)
        return self.index[Knobs(self.rings[0], self.rings[1], self.cores[c], self.bursts[b])]


def fit_static(table: np.ndarray, criterion: str) -> int:
    from dpdktune.baselines import StaticBest

    return int(StaticBest(criterion).fit(table, table).config_index_)


def fit_rules(X: np.ndarray, table: np.ndarray, grid, config: dict[str, Any]):
    from dpdktune.baselines import RuleBased

    opts = section(config, "baselines")
    return RuleBased(grid, max_rules=opts.max_rules, n_features=opts.rule_features).fit(X, table)
