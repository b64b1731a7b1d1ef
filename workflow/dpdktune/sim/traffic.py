"""(e) Arrival processes: the offered rate over time and the packets each queue receives.

- cbr: a constant-rate generator (pktgen/TRex), deterministic counts.
- poisson: Poisson counts per step.
- onoff: ON periods at peak = mean*(on+off)/on (capped at the line rate), silent OFF
  periods, random phase; Poisson counts within ON.
- mmpp: a Markov-modulated Poisson process (Fischer & Meier-Hellstern, Perf. Eval. 1993):
  states with rate factors and exponential sojourns; the next state is uniform among the
  others. Factors are scaled so the stationary mean equals the offered rate.
Assumption: both ports of a bidirectional workload follow the same modulation.
"""

from __future__ import annotations

import numpy as np

from dpdktune.workloads import Arrival


def rate_profile(
    arrival: Arrival, mean_pps: float, peak_cap_pps: float, steps: int, dt_us: float, rng: np.random.Generator
) -> np.ndarray:
    """Offered packets per second in each of `steps` steps of `dt_us`."""
    process = arrival.process
    if process in ("cbr", "poisson"):
        return np.full(steps, mean_pps)
    if process == "onoff":
        period = arrival.on_us + arrival.off_us
        if arrival.on_us <= 0 or period <= 0:
            raise ValueError("arrival.on_us: must be > 0 for process onoff")
        peak = min(mean_pps * period / arrival.on_us, peak_cap_pps)
        # fraction of each step spent ON, from the exact overlap with ON intervals
        start = rng.uniform(0.0, period)
        edges = start + dt_us * np.arange(steps + 1)
        on_time = _on_time_before(edges, period, arrival.on_us)
        return peak * np.diff(on_time) / dt_us
    if process == "mmpp":
        factors = np.asarray(arrival.mmpp_rate_factors, float)
        sojourn = np.asarray(arrival.mmpp_sojourn_us, float)
        if factors.size < 2 or factors.size != sojourn.size:
            raise ValueError("arrival.mmpp_rate_factors/mmpp_sojourn_us: need >= 2 states of equal length")
        factors = factors / np.dot(factors, sojourn / sojourn.sum())
        horizon = steps * dt_us
        edges = dt_us * np.arange(steps + 1)
        t, state = 0.0, int(rng.choice(factors.size, p=sojourn / sojourn.sum()))
        bounds, levels = [0.0], []
        while t < horizon:
            t += rng.exponential(sojourn[state])
            bounds.append(t)
            levels.append(factors[state])
            state = (state + 1 + int(rng.integers(factors.size - 1))) % factors.size
        bounds = np.asarray(bounds)
        cum = np.concatenate([[0.0], np.cumsum(np.diff(bounds) * levels)])
        rate_time = np.interp(edges, bounds, cum)  # cumulative factor * time at step edges
        return np.minimum(mean_pps * np.diff(rate_time) / dt_us, peak_cap_pps)
    raise ValueError(f"arrival.process: unknown process {process!r}")


def _on_time_before(t: np.ndarray, period: float, on: float) -> np.ndarray:
    """Total ON time in [0, t) for a square wave that is ON during [k*period, k*period+on)."""
    cycles, rest = np.divmod(t, period)
    return cycles * on + np.minimum(rest, on)


def port_arrivals(rate_pps: np.ndarray, ports: int, dt_us: float, process: str, rng: np.random.Generator) -> np.ndarray:
    """Packets arriving at each RX port in each step: shape (steps, ports).

    Drawn per port, before anything that depends on the config, so one seed offers the same
    packets to every config (the configs of a landscape differ by physics, not by draws)."""
    mean = np.repeat((rate_pps * (dt_us * 1e-6))[:, None], ports, axis=1)
    if process == "cbr":
        return mean
    return rng.poisson(mean).astype(float)


def queue_arrivals(port_counts: np.ndarray, port_share: np.ndarray) -> np.ndarray:
    """Split each port's packets over its queues by RSS share: shape (steps, ports*queues).

    Assumption: within a step the split follows the flows' shares (many packets per step)."""
    return (port_counts[:, :, None] * port_share[None, None, :]).reshape(port_counts.shape[0], -1)
