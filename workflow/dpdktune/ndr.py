"""NDR and PDR: the benchmarker's throughput, per config at its fixed core count.

RFC 2544 (section 26.1) defines throughput as the highest offered rate at which the device
forwards every frame; FD.io CSIT's MLRsearch generalises it to a loss ratio: NDR at 0 loss,
PDR at a small one (0.5 % here). Each is found by binary search over the offered rate, one
trial per probe, from 0 to the line rate of the workload's mean frame size on every receiving
port, until the bracket is narrower than `ndr.precision` of the upper bound. The rate scales
the workload's mean; its sizes, flows and arrival process stay (a bursty workload's NDR is the
mean rate at which its bursts still fit).

Every probe of one config reuses the seed of that config's first campaign trial. On the
simulator that makes the search exact for that seed: the same packets and OS stalls at every
rate, so loss can only change because the rate did. A real backend needs a rate-controlled
generator (`rate_control`); without one the search is reported as not supported.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from dpdktune.knobs import expand_grid
from dpdktune.sections import NdrSettings, section

log = logging.getLogger("dpdktune.ndr")

NDR_COLUMNS = (
    "workload",
    "config_index",
    "rx_desc",
    "tx_desc",
    "cores",
    "burst",
    "kind",
    "loss_threshold",
    "rate_mpps",
    "line_mpps",
    "probes",
)
#: generator presets of the ssh backend that pace to the workload's offered rate
PACED_SSH_GENERATORS = ("pktgen-dpdk", "trex", "csrc-pktgen")


def options(config: dict[str, Any]) -> NdrSettings:
    return section(config, "ndr")


def rate_control(config: dict[str, Any]) -> tuple[bool, str]:
    """(can this backend offer a chosen rate?, why not) for the config's backend."""
    backend = config["backend"]
    if backend == "sim":
        return True, ""
    if backend == "local":
        local = section(config, "local")
        if local.topology == "memif" and local.generator == "pktgen":
            return True, ""
        return False, (
            "NDR/PDR search is not supported on this backend: the local backend offers a chosen rate only "
            "with local.topology: memif and local.generator: pktgen (the paced csrc/pktgen)"
        )
    beds = section(config, "ssh").testbeds
    apps = {tb.get("generator_app") for tb in beds}
    if beds and apps <= set(PACED_SSH_GENERATORS):
        return True, ""
    return False, (
        "NDR/PDR search is not supported on this backend: every ssh testbed needs a rate-controlled "
        f"generator_app ({', '.join(PACED_SSH_GENERATORS)})"
    )


def binary_search(
    loss_at: Callable[[float], float], high: float, threshold: float, precision: float, low: float = 0.0
) -> tuple[float, int]:
    """(highest rate found with loss <= threshold, probes): RFC 2544 binary search in [low, high].

    `low` must be known to pass (0 does). Stops when the bracket is below `precision` times
    the initial `high` (an absolute step, so a config that passes nothing still ends).
    """
    probes = 1
    if loss_at(high) <= threshold:
        return high, probes
    step = precision * high
    while high - low > step:
        mid = 0.5 * (low + high)
        probes += 1
        if loss_at(mid) <= threshold:
            low = mid
        else:
            high = mid
    return low, probes


def _line_mpps(workload, hardware) -> float:
    from dpdktune.sim.wire import line_rate_pps

    sizes = np.asarray(workload.sizes, float)
    weights = np.asarray(workload.size_weights, float)
    mean = float(np.dot(sizes, weights / weights.sum()))
    ports = 2 if workload.direction == "bidir" else 1
    return line_rate_pps(hardware.link_gbps, mean) * ports / 1e6


def search_workload(config: dict[str, Any], workload_name: str) -> pd.DataFrame:
    """NDR and PDR of one workload under every config of the grid (one backend for the lot)."""
    from dpdktune.backends import make_backend
    from dpdktune.backends.base import RunFailed
    from dpdktune.campaign.plan import campaign_workloads, load_campaign_hardware, workload_runs

    opts = options(config)
    hardware = load_campaign_hardware(config)
    workload = next(w for w in campaign_workloads(config) if w.name == workload_name)
    line = _line_mpps(workload, hardware)
    grid = {k: i for i, k in enumerate(expand_grid(config["grid"]))}
    firsts = [s for s in workload_runs(config, workload, hardware) if s.trial == 0]
    backend = make_backend(config)
    rows = []
    try:
        for spec in firsts:

            def loss_at(rate: float, spec=spec) -> float:
                probe = dataclasses.replace(
                    spec,
                    run_id=f"{spec.run_id}-ndr-{rate:.6g}",
                    workload=dataclasses.replace(spec.workload, offered_mpps=rate),
                )
                try:
                    return float(backend.run(probe).metrics["drop_rate"])
                except RunFailed:
                    return 1.0  # a probe that fails does not pass

            ndr, n1 = binary_search(loss_at, line, 0.0, opts.precision)
            pdr, n2 = binary_search(loss_at, line, opts.pdr_loss, opts.precision, low=ndr)
            k = spec.knobs
            for kind, threshold, rate, probes in (("NDR", 0.0, ndr, n1), ("PDR", opts.pdr_loss, pdr, n2)):
                rows.append(
                    (
                        workload.name,
                        grid[k],
                        k.rx_desc,
                        k.tx_desc,
                        k.cores,
                        k.burst,
                        kind,
                        threshold,
                        rate,
                        line,
                        probes,
                    )
                )
    finally:
        backend.close()
    return pd.DataFrame(rows, columns=list(NDR_COLUMNS))


def search(config: dict[str, Any], workloads: list[str], workers: int = 1) -> pd.DataFrame:
    """NDR and PDR of every workload and config; workloads run in `workers` processes."""
    if workers <= 1 or len(workloads) <= 1:
        parts = [search_workload(config, w) for w in workloads]
    else:
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(search_workload, [config] * len(workloads), workloads))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(NDR_COLUMNS))


def best_by_cores(table: pd.DataFrame) -> pd.DataFrame:
    """Per workload, core count and kind: the highest rate over the ring sizes, and the rings."""
    if table.empty:
        return pd.DataFrame(columns=["workload", "cores", "kind", "rate_mpps", "share_of_line", "rx_desc", "tx_desc"])
    best = table.loc[table.groupby(["workload", "cores", "kind"]).rate_mpps.idxmax()]
    return (
        best.assign(share_of_line=best.rate_mpps / best.line_mpps)
        .loc[:, ["workload", "cores", "kind", "rate_mpps", "share_of_line", "rx_desc", "tx_desc"]]
        .reset_index(drop=True)
    )


def run(config: dict[str, Any], workloads: list[str], workers: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """(table, summary) for the `search_ndr` rule: the searches, or why they cannot run."""
    opts = options(config)
    supported, why = rate_control(config)
    if not opts.enabled:
        supported, why = False, "NDR/PDR search is off (ndr.enabled: false)"
    table = search(config, workloads, workers) if supported else pd.DataFrame(columns=list(NDR_COLUMNS))
    summary = {
        "supported": supported,
        "reason": why,
        "backend": config["backend"],
        "pdr_loss": opts.pdr_loss,
        "precision": opts.precision,
        "searches": int(len(table)),
        "probes": int(table.probes.sum()) if len(table) else 0,
    }
    if supported:
        log.info("NDR/PDR: %d searches, %d probes", summary["searches"], summary["probes"])
    else:
        log.warning(why)
    return table, summary


def ndr_figure(best: pd.DataFrame, path, summary: dict[str, Any]) -> None:
    """NDR and PDR against the core count per workload (best rings at each count), as a share
    of the line rate; a placeholder saying why when the backend cannot search."""
    from plotnine import (
        aes,
        annotate,
        facet_wrap,
        geom_line,
        geom_point,
        ggplot,
        labs,
        scale_color_manual,
        scale_x_continuous,
        scale_y_continuous,
        theme_void,
    )

    from dpdktune.analysis.figures import PALETTE, _facet_rows, readable, save_figure

    if best.empty:
        plot = (
            ggplot()
            + annotate("text", x=0, y=0, label=summary.get("reason") or "no NDR/PDR searches", size=12)
            + theme_void()
        )
        save_figure(plot, path, 10, 1.2)
        return
    cores = sorted(best.cores.unique())
    plot = (
        ggplot(best, aes("cores", "share_of_line", color="kind", shape="kind"))
        + geom_line()
        + geom_point(size=2.5)
        + facet_wrap("workload", ncol=5)
        + scale_x_continuous(trans="log2", breaks=cores, labels=[str(c) for c in cores])
        + scale_y_continuous(labels=lambda v: [f"{x:.0%}" for x in v])
        + scale_color_manual(values=PALETTE[:2])
        + labs(x="cores (log scale)", y="rate / line rate (best rings)", color="", shape="")
        + readable(11)
    )
    save_figure(plot, path, 14, 2.5 * _facet_rows(best.workload.nunique()) + 0.9)
