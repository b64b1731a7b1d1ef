"""(h) Trial-to-trial noise and fault injection.

Noise: testbed runs vary (CV ~1-3 % on a quiet testbed, more with co-located load; see the
trial-CV discussions in DPDK performance reports). The CPU's effective speed of one run is
a mean-one lognormal factor with the configured CV; arrival counts, MMPP paths and OS stalls
are drawn from the same per-run generator, so a seed fixes the whole run.

Faults: real campaigns lose runs (generator hangs, link flaps, a process that won't start).
With probability `failure_prob` a run fails. The draw depends on the run's seed and the
attempt number, so a retry of the same run can succeed.
"""

from __future__ import annotations

import numpy as np

FAULTS = ("traffic generator hang", "link flap on port 0", "testpmd failed to start")


def speed_factor(rng: np.random.Generator, cv: float) -> float:
    """Mean-one lognormal multiplier of per-packet cycles with coefficient of variation `cv`."""
    if cv <= 0:
        return 1.0
    sigma = float(np.sqrt(np.log1p(cv * cv)))
    return float(np.exp(sigma * rng.standard_normal() - sigma * sigma / 2.0))


def injected_fault(seed: int, attempt: int, failure_prob: float) -> str | None:
    """The fault injected into this attempt of this run, or None."""
    if failure_prob <= 0:
        return None
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFFFFFF, int(attempt), 0xFA17])
    if rng.random() >= failure_prob:
        return None
    return FAULTS[int(rng.integers(len(FAULTS)))]
