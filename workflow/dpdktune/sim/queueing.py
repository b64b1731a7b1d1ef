"""(e, g) Finite-buffer queues, drops and latency percentiles.

Each RX queue is a finite buffer (the ring plus its share of the NIC's on-chip buffer)
served in bursts. A time-stepped Lindley recursion q' = min(K, max(0, q + a - s)) gives the
occupancy; whatever exceeds K is dropped (imissed). Under sustained overload the buffer
stays full, so the sojourn ~ K / service rate: bufferbloat grows with the ring size.
(Lindley, "The theory of queues with a single server", 1952; finite-buffer form as in
Kleinrock, Queueing Systems vol. 1.)

Speed: a queue that never fills is the classic one-sided Lindley recursion,
q_t = S_t - min(-q0, min_{s<=t} S_s) with S the cumulative increments, and one that never
empties is its mirror image; both are a cumsum and a running extremum. Only queues that
touch both boundaries need the general form: the clamp maps f(q) = min(H, max(L, q + C)) are
closed under composition, so that recursion is a prefix scan in log2(steps) vectorised
passes instead of a Python loop.

Latency: a packet leaving in step t waits q_t / mu (coarse, from the stepped queue) plus a
within-step part that steps cannot see: the M/D/1 wait rho / (2 mu (1 - rho)) for random
arrivals (exponential tail), the wait for its own burst to be processed, and the TX-buffer
gathering delay. Percentiles come from convolving those parts on one grid.
"""

from __future__ import annotations

import numpy as np


def clamp_scan(increments: np.ndarray, capacity: np.ndarray, q0: np.ndarray) -> np.ndarray:
    """Occupancy after each step of q' = min(K, max(0, q + x)); increments (steps, queues)."""
    cum = np.cumsum(increments, axis=0)
    lower = cum - np.minimum(-q0, np.minimum.accumulate(cum, axis=0))
    fits = lower.max(axis=0) <= capacity
    if fits.all():
        return lower
    upper = capacity + cum - np.maximum(capacity - q0, np.maximum.accumulate(cum, axis=0))
    full = upper.min(axis=0) >= 0
    out = np.where(fits, lower, upper)
    both = ~(fits | full)
    if both.any():
        out[:, both] = _clamp_prefix_scan(increments[:, both], np.broadcast_to(capacity, fits.shape)[both], q0[both])
    return out


def _clamp_prefix_scan(increments: np.ndarray, capacity: np.ndarray, q0: np.ndarray) -> np.ndarray:
    """The two-sided recursion as a prefix scan of composed clamp maps."""
    c = increments.copy()
    lo = np.zeros_like(c)
    hi = np.broadcast_to(capacity, c.shape).copy()
    steps = c.shape[0]
    shift = 1
    while shift < steps:
        # compose f_t o f_{t-shift}: apply the earlier prefix first
        c_prev, lo_prev, hi_prev = c[:-shift], lo[:-shift], hi[:-shift]
        c_cur, lo_cur, hi_cur = c[shift:], lo[shift:], hi[shift:]
        new_lo = np.maximum(lo_cur, lo_prev + c_cur)
        new_hi = np.minimum(hi_cur, np.maximum(lo_cur, hi_prev + c_cur))
        new_c = c_prev + c_cur
        c[shift:], lo[shift:], hi[shift:] = new_c, new_lo, new_hi
        shift *= 2
    return np.minimum(hi, np.maximum(lo, q0 + c))


def within_step_wait(
    lam: np.ndarray, mu: np.ndarray, weight: np.ndarray, dt_us: float, random: bool = True
) -> tuple[float, float]:
    """The M/D/1 wait the steps cannot see: (mean wait of a packet that waits, share that
    waits), weighted over the queues. CBR arrivals (D/D/1) do not wait; a wait longer than a
    step is already in the stepped queue, so it is capped at one step."""
    rho = np.minimum(lam / mu, 0.98)
    busy = float(np.dot(weight, rho))
    if not random or busy <= 0:
        return 0.0, busy
    wait_us = np.minimum(rho / (2.0 * mu * (1.0 - rho)) * 1e6, dt_us)
    return float(np.dot(weight, wait_us)) / busy, busy


def latency_percentiles(
    coarse_us: np.ndarray,
    weights: np.ndarray,
    mdl_mean_us: float,
    mdl_busy: float,
    batch_us: float,
    gather_us: float,
    quantiles: tuple[float, ...] = (0.5, 0.99, 0.999),
    bins: int = 256,
) -> np.ndarray:
    """Quantiles of coarse + Exp-mixture(M/D/1) + U(0, batch) + U(0, 2*gather), in us."""
    total = float(weights.sum())
    if total <= 0:
        return np.full(len(quantiles), np.nan)
    span = float(coarse_us.max()) + 12.0 * mdl_mean_us + batch_us + 2.0 * gather_us
    width = max(span / bins, 1e-6)
    idx = np.minimum((coarse_us / width).astype(np.int64), bins - 1)
    pmf = np.bincount(idx.ravel(), weights=weights.ravel(), minlength=bins) / total
    if mdl_mean_us > 0 and mdl_busy > 0:
        edges = width * np.arange(bins + 1)
        cdf = 1.0 - mdl_busy * np.exp(-edges / mdl_mean_us)
        wait = np.diff(cdf)
        wait[0] += cdf[0]
        pmf = np.convolve(pmf, wait)
    for length in (batch_us, 2.0 * gather_us):
        k = int(round(length / width))
        if k > 1:
            pmf = np.convolve(pmf, np.full(k, 1.0 / k))
    cdf = np.cumsum(pmf)
    pos = np.searchsorted(cdf, np.asarray(quantiles) * cdf[-1])
    return (pos + 0.5) * width
