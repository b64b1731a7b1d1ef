"""The fast tier's guard: back to the safe default one interval after a shortfall, stay off the
config that caused it, and do not leave a config for one measured worse on the same traffic.

Traffic is what the data plane measures, not its name: the key of an interval is its offered
rate (rx + imissed, in Mpps) and its mean frame size, each bucketed on a log scale
(`traffic_key`). Neither depends on the config running (a config changes what is received and
sent, not what arrives), so every config measures the same key on the same traffic. Two kinds
of traffic with the same rate and frame size share a key.

Each interval's measured objective is compared with what the safe default is expected to earn
on traffic with that key (`SafeReference`: the twin's learning trials of the campaign's cells,
per Mpps offered, times the rate the interval measured; never the live truth), or, once the safe
default has run on traffic with that key, what it measured there. A restart interval is judged
on the part after the restart (its value without the restart's charge).

- An interval below that reference by more than `tolerance` trips the guard: the next interval
  runs the safe default, at once (no ring confirmation: the safe default is the known-good
  target, not a noisy near-tie). The safe default itself never trips it.
- When the config that fell short was chosen on features with the same key (not carried over
  from before a shift), the pair (key, config) is vetoed: later decisions for that config on
  that key are replaced by the config running now when it measured at or above the reference
  there, else by the safe default (hysteresis: no flip-flop back into a config measured bad
  here). The slow tier's refit, which sees the shortfall in its calibrated twin, is what changes
  the tree itself.
- Hold: a decision for a config this key already ran and measured below the config running now
  (by more than `tolerance`), which also measured here, keeps the config running now. A tree
  fed one interval's noisy features otherwise flips between a good config and a worse one that
  its noise reaches (1 and 2 cores, say) every few intervals.

An interval whose rate or frame size is not measured (no packets) has no key: it neither trips
nor vetoes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

Key = tuple  # a traffic key (bucket indices); any hashable tuple of JSON scalars

#: bucket widths, as ratios between neighbouring buckets (chosen on config/scenarios/tuning.yaml:
#: 1.02 splits one traffic's noisy intervals over buckets, 1.07 and wider merge traffic whose safe
#: default earns a fraction of the other's, bursty and highrate at the same rate, say)
RATE_STEP = 1.05
FRAME_STEP = 1.05


def offered_and_frame(x: Sequence[float], names: Sequence[str]) -> tuple[float, float] | None:
    """(offered Mpps, mean frame bytes) of one interval's features, None when not measured.
    Offered = rx + imissed: imissed_rate is imissed / offered, so offered = rx / (1 - imissed_rate)."""
    names = list(names)
    rx, missed, frame = (float(x[names.index(n)]) for n in ("rx_mpps", "imissed_rate", "mean_frame_bytes"))
    if not (math.isfinite(rx) and math.isfinite(missed) and math.isfinite(frame)) or missed >= 1.0:
        return None
    offered = rx / (1.0 - max(missed, 0.0))
    if not (offered > 0 and frame > 0):
        return None
    return offered, frame


def traffic_key(x: Sequence[float], names: Sequence[str]) -> Key | None:
    """The bucket of one interval's offered rate and mean frame size (log scale), None when not measured."""
    of = offered_and_frame(x, names)
    if of is None:
        return None
    return (round(math.log(of[0]) / math.log(RATE_STEP)), round(math.log(of[1]) / math.log(FRAME_STEP)))


class SafeReference:
    """What the safe default is expected to earn on traffic with a given key: its objective per
    Mpps offered on the learning trials of the cells whose runs measured that key, times the offered
    rate measured now; a key no learning run measured takes the nearest key's (log distance).
    Where several cells measured a key, the lowest share: traffic whose safe default misses the SLO
    (bursty at high load) looks like traffic whose safe default meets it, and the higher share
    would trip the guard on every config that beats the safe default there and send it to the
    safe default, which earns less (the mean lost 0.002 more on the tuning scenario)."""

    def __init__(self, names: Sequence[str], cells: Iterable[tuple[np.ndarray, float]]):
        """`cells`: (learning-trial features of every config, shape (..., features); the safe
        default's mean objective over those trials) per campaign cell."""
        self.names = tuple(names)
        shares: dict[Key, list[float]] = defaultdict(list)
        for features, safe_value in cells:
            rows = np.asarray(features, float).reshape(-1, len(self.names))
            measured = [(traffic_key(r, self.names), offered_and_frame(r, self.names)) for r in rows]
            measured = [(k, of) for k, of in measured if k is not None]
            if not measured:
                continue
            share = float(safe_value) / float(np.median([of[0] for _, of in measured]))
            for k, _ in measured:
                shares[k].append(share)
        if not shares:
            raise ValueError("guard: no campaign cell measured an offered rate and a frame size")
        self.share = {k: float(np.min(v)) for k, v in shares.items()}
        self._keys = list(self.share)
        self._nearest: dict[Key, float] = {}

    def per_mpps(self, key: Key) -> float:
        if key in self.share:
            return self.share[key]
        if key not in self._nearest:
            lr, lf = math.log(RATE_STEP), math.log(FRAME_STEP)
            dist = [math.hypot((k[0] - key[0]) * lr, (k[1] - key[1]) * lf) for k in self._keys]
            best = min(dist)
            self._nearest[key] = float(np.mean([self.share[k] for k, d in zip(self._keys, dist) if d <= best + 1e-12]))
        return self._nearest[key]

    def expected(self, x: Sequence[float]) -> float:
        """The safe default's expected objective on the traffic features `x` measured (NaN: not measured)."""
        of = offered_and_frame(x, self.names)
        if of is None:
            return math.nan
        return of[0] * self.per_mpps(traffic_key(x, self.names))


def _key(raw: Any) -> Key:
    return tuple(raw) if isinstance(raw, (list, tuple)) else (raw,)


class Guard:
    def __init__(self, safe: int, tolerance: float):
        self.safe = int(safe)
        self.tolerance = float(tolerance)
        self.vetoed: set[tuple[Key, int]] = set()
        self.trip = False  # the next interval runs the safe default
        self.ok: tuple[Key, int] | None = None  # (key, config) last measured at or above the reference
        self.trips = 0
        self.vetoes_applied = 0
        self.measured: dict[tuple[Key, int], float] = {}  # the last value each config earned per key

    def filter(self, key: Key | None, current: int, nxt: int) -> tuple[int, str | None]:
        """The config to run instead of `nxt` (the tree's choice on features with traffic key
        `key`, while `current` runs), with the event that says why (None: `nxt` stands)."""
        if self.trip:
            self.trip = False
            return self.safe, "guard"
        return self.veto(key, current, nxt)

    def veto(self, key: Key | None, current: int, nxt: int) -> tuple[int, str | None]:
        """`nxt`, or what replaces it when it is vetoed on traffic key `key` (also applied to what
        the ring confirmation makes of a decision: it keeps the rings and takes the new cores,
        which can be a config measured bad here)."""
        if key is None:
            return nxt, None
        if (key, nxt) in self.vetoed and nxt != self.safe:
            self.vetoes_applied += 1
            keep = self.ok == (key, current)
            return (current if keep else self.safe), "veto"
        mine, theirs = self.measured.get((key, current)), self.measured.get((key, nxt))
        if nxt != current and mine is not None and theirs is not None and theirs < mine * (1.0 - self.tolerance):
            return current, "hold"
        return nxt, None

    def observe(self, key: Key | None, decided_on: Key | None, config: int, value: float, safe_ref: float) -> bool:
        """One finished interval with traffic key `key` that ran `config` (chosen on features with
        key `decided_on`) and earned `value` (the restart's charge excluded), where the safe default
        is expected to earn `safe_ref`; True when it trips."""
        if key is None:
            self.ok = None
            return False
        # what the safe default itself measured on this key, where it ran: traffic the twin never saw
        # can share a key with traffic whose safe default earns several times more
        safe_ref = self.measured.get((key, self.safe), safe_ref)
        self.measured[(key, int(config))] = float(value)
        if not math.isfinite(safe_ref):
            self.ok = None
            return False
        if config == self.safe or not value < safe_ref * (1.0 - self.tolerance):
            self.ok = (key, int(config))
            return False
        self.ok = None
        self.trip = True
        self.trips += 1
        if decided_on == key:
            self.vetoed.add((key, int(config)))
        return True

    def state(self) -> dict[str, Any]:
        return {
            "vetoed": sorted([[list(k), c] for k, c in self.vetoed], key=repr),
            "trip": self.trip,
            "ok": [list(self.ok[0]), self.ok[1]] if self.ok else None,
            "trips": self.trips,
            "vetoes_applied": self.vetoes_applied,
            "measured": [[list(k), c, v] for (k, c), v in self.measured.items()],
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.vetoed = {(_key(k), int(c)) for k, c in state.get("vetoed", [])}
        self.trip = bool(state.get("trip", False))
        ok = state.get("ok")
        self.ok = (_key(ok[0]), int(ok[1])) if ok else None
        self.trips = int(state.get("trips", 0))
        self.vetoes_applied = int(state.get("vetoes_applied", 0))
        self.measured = {(_key(k), int(c)): float(v) for k, c, v in state.get("measured", [])}
