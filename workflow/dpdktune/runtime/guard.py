"""The fast tier's guard: back to the safe default one interval after a shortfall, stay off the
config that caused it, and do not leave a config for one measured worse on the same traffic.

Each interval's measured objective is compared with what the safe default is expected to earn on
the same traffic (the twin's estimate from its learning trials, never the live truth). A restart
interval is judged on the part after the restart (its value without the restart's charge).

- An interval below that reference by more than `tolerance` trips the guard: the next interval
  runs the safe default, at once (no ring confirmation: the safe default is the known-good
  target, not a noisy near-tie). The safe default itself never trips it.
- When the config that fell short was chosen on features of the same traffic (not carried over
  from before a shift), the pair (traffic, config) is vetoed: later decisions for that config
  on that traffic are replaced by the config running now when it measured at or above the
  reference on this traffic, else by the safe default (hysteresis: no flip-flop back into a
  config measured bad here). The slow tier's refit, which sees the shortfall in its calibrated
  twin, is what changes the tree itself.
- Hold: a decision for a config this traffic already ran and measured below the config running
  now (by more than `tolerance`), which also measured here, keeps the config running now. A
  tree fed one interval's noisy features otherwise flips between a good config and a worse
  one that its noise reaches (1 and 2 cores, say) every few intervals.

The guard needs the traffic's identity (workload and load level), as the slow tier's replay
and calibration already do.
"""

from __future__ import annotations

from typing import Any

Key = tuple[str, float]


class Guard:
    def __init__(self, safe: int, tolerance: float):
        self.safe = int(safe)
        self.tolerance = float(tolerance)
        self.vetoed: set[tuple[str, float, int]] = set()
        self.trip = False  # the next interval runs the safe default
        self.ok: tuple[str, float, int] | None = None  # (traffic, config) last measured at or above the reference
        self.trips = 0
        self.vetoes_applied = 0
        self.measured: dict[tuple[str, float, int], float] = {}  # the last value each config earned per traffic

    def filter(self, key: Key, current: int, nxt: int) -> tuple[int, str | None]:
        """The config to run instead of `nxt` (the tree's choice on features of traffic `key`,
        while `current` runs), with the event that says why (None: `nxt` stands)."""
        if self.trip:
            self.trip = False
            return self.safe, "guard"
        return self.veto(key, current, nxt)

    def veto(self, key: Key, current: int, nxt: int) -> tuple[int, str | None]:
        """`nxt`, or what replaces it when it is vetoed on traffic `key` (also applied to what the
        ring confirmation makes of a decision: it keeps the rings and takes the new cores, which
        can be a config measured bad here)."""
        if (key[0], key[1], nxt) in self.vetoed and nxt != self.safe:
            self.vetoes_applied += 1
            keep = self.ok == (key[0], key[1], current)
            return (current if keep else self.safe), "veto"
        mine, theirs = self.measured.get((key[0], key[1], current)), self.measured.get((key[0], key[1], nxt))
        if nxt != current and mine is not None and theirs is not None and theirs < mine * (1.0 - self.tolerance):
            return current, "hold"
        return nxt, None

    def observe(self, key: Key, decided_on: Key | None, config: int, value: float, safe_ref: float) -> bool:
        """One finished interval on traffic `key` that ran `config` (chosen on features of traffic
        `decided_on`) and earned `value` (the restart's charge excluded); True when it trips."""
        self.measured[(key[0], float(key[1]), int(config))] = float(value)
        if config == self.safe or not value < safe_ref * (1.0 - self.tolerance):
            self.ok = (key[0], key[1], config)
            return False
        self.ok = None
        self.trip = True
        self.trips += 1
        if decided_on == key:
            self.vetoed.add((key[0], key[1], int(config)))
        return True

    def state(self) -> dict[str, Any]:
        return {"vetoed": sorted([list(v) for v in self.vetoed]), "trip": self.trip,
                "ok": list(self.ok) if self.ok else None, "trips": self.trips, "vetoes_applied": self.vetoes_applied,
                "measured": [[w, lv, c, v] for (w, lv, c), v in self.measured.items()]}

    def restore(self, state: dict[str, Any]) -> None:
        self.vetoed = {(str(w), float(lv), int(c)) for w, lv, c in state.get("vetoed", [])}
        self.trip = bool(state.get("trip", False))
        ok = state.get("ok")
        self.ok = (str(ok[0]), float(ok[1]), int(ok[2])) if ok else None
        self.trips = int(state.get("trips", 0))
        self.vetoes_applied = int(state.get("vetoes_applied", 0))
        self.measured = {(str(w), float(lv), int(c)): float(v) for w, lv, c, v in state.get("measured", [])}
