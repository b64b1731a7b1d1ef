"""The landscape figures (plotnine), saved as PNG files that the report embeds, and the one save
helper every stage's figures use."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from dpdktune.atomic import replacing

DPI = 96
#: Up to this many workloads the penalty matrix prints each cell's value.
PENALTY_LABELLED = 25
#: Okabe-Ito: distinguishable under the common colour-vision deficiencies (Okabe & Ito 2008).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


def readable(base_size: float = 13):
    """theme_minimal with text large enough to read when the report is 1400 px wide."""
    from plotnine import element_text, theme, theme_minimal

    return theme_minimal(base_size=base_size) + theme(strip_text=element_text(size=base_size, weight="bold"))


def save_figure(plot, path: str | Path, width: float, height: float, dpi: int = DPI) -> Path:
    """Save a plotnine plot to `path` (format from its suffix) atomically; sizes in inches.

    Per-workload figures grow with the campaign (about 0.3-1.5 inches per workload), so a campaign
    of 100 workloads passes plotnine's 25-inch guard against unit mistakes; the sizes here are
    computed on purpose, so the guard is off."""
    with replacing(path) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # plotnine's "saving N x M in image" chatter
        plot.save(tmp, width=width, height=height, dpi=dpi, verbose=False, limitsize=False)
    return Path(path)


def _facet_rows(n: int, cols: int = 5) -> int:
    return max(1, int(np.ceil(n / cols)))


def heatmaps(perf: pd.DataFrame, y: str, path: str | Path, objective: str) -> None:
    """Per-workload heatmap of rx_desc x `y`: objective relative to the workload's best, at the
    best level of each knob not shown (so no knob's effect is averaged away)."""
    from plotnine import aes, element_text, facet_wrap, geom_tile, ggplot, labs, scale_fill_cmap, theme

    cells = perf.groupby(["workload", "rx_desc", y], as_index=False).relative.max()
    cells["rx_desc"] = pd.Categorical(cells.rx_desc.astype(str), [str(v) for v in sorted(perf.rx_desc.unique())])
    cells[y] = pd.Categorical(cells[y].astype(str), [str(v) for v in sorted(perf[y].unique())])
    n = cells.workload.nunique()
    plot = (
        ggplot(cells, aes("rx_desc", y, fill="relative"))
        + geom_tile()
        + facet_wrap("workload", ncol=5)
        + scale_fill_cmap("viridis", limits=(0, 1))
        + labs(x="rx_desc", y=y, fill=f"{objective}\n/ workload best")
        + readable(11)
        + theme(axis_text_x=element_text(rotation=90))
    )
    save_figure(plot, path, 14, 2.6 * _facet_rows(n) + 0.8)


def ring_heatmaps(perf: pd.DataFrame, path: str | Path, objective: str) -> None:
    """rx_desc x tx_desc per workload (rows) and core count (columns), each panel relative to
    the best rings at that core count: the ring effect, not hidden behind the cores effect."""
    from plotnine import aes, element_text, facet_grid, geom_tile, ggplot, labs, scale_fill_cmap, theme

    cells = perf.groupby(["workload", "cores", "rx_desc", "tx_desc"], as_index=False).objective.max()
    best = cells.groupby(["workload", "cores"]).objective.transform("max")
    cells["relative"] = np.where(best > 0, cells.objective / best.where(best > 0, 1.0), np.nan)
    for k in ("rx_desc", "tx_desc"):
        cells[k] = pd.Categorical(cells[k].astype(str), [str(v) for v in sorted(perf[k].unique())])
    levels = [f"cores = {c}" for c in sorted(perf.cores.unique())]
    cells["cores"] = pd.Categorical([f"cores = {c}" for c in cells.cores], levels)
    n = cells.workload.nunique()
    plot = (
        ggplot(cells, aes("rx_desc", "tx_desc", fill="relative"))
        + geom_tile()
        + facet_grid("workload ~ cores")
        + scale_fill_cmap("viridis", limits=(0, 1))
        + labs(x="rx_desc", y="tx_desc", fill=f"{objective}\n/ best rings\nat these cores")
        + readable(11)
        + theme(axis_text_x=element_text(rotation=90), strip_text_y=element_text(rotation=0))
    )
    save_figure(plot, path, 14, 1.5 * n + 1.2)


def knob_effects_plot(cells: pd.DataFrame, path: str | Path, objective: str) -> None:
    """The objective against each knob (other knobs at the workload's best for that level):
    mean share of the workload's best over workloads, with 95 % t-intervals over workloads,
    and each workload as a thin line."""
    from plotnine import aes, facet_wrap, geom_errorbar, geom_line, geom_point, ggplot, labs, scale_y_continuous

    data = cells.copy()
    data["level"] = pd.Categorical(
        data.level.astype(int).astype(str), [str(v) for v in sorted(data.level.astype(int).unique())]
    )
    summary = data.groupby(["knob", "level"], observed=True).relative.agg(["mean", "std", "count"]).reset_index()
    from scipy import stats

    t = stats.t.ppf(0.975, np.maximum(summary["count"] - 1, 1))
    half = t * summary["std"].fillna(0) / np.sqrt(summary["count"])
    summary["low"], summary["high"] = summary["mean"] - half, summary["mean"] + half
    plot = (
        ggplot(data, aes("level", "relative"))
        + geom_line(aes(group="workload"), color="#BBBBBB", size=0.4)
        + geom_errorbar(
            summary, aes("level", ymin="low", ymax="high"), inherit_aes=False, width=0.25, color=PALETTE[0], size=0.9
        )
        + geom_point(summary, aes("level", "mean"), inherit_aes=False, color=PALETTE[0], size=3)
        + facet_wrap("knob", scales="free_x", nrow=1)
        + scale_y_continuous(labels=lambda v: [f"{x:.0%}" for x in v])
        + labs(x="knob level", y=f"{objective} / workload best\n(other knobs at their best)")
        + readable()
    )
    save_figure(plot, path, 14, 4.2)


def p99_by_rx(records: pd.DataFrame, path: str | Path, slo_us: float) -> None:
    """p99 latency against rx_desc per workload, one line per core count (mean over trials and
    tx_desc; error bars: min to max over trials), with the p99 SLO dashed."""
    from plotnine import (
        aes,
        facet_wrap,
        geom_errorbar,
        geom_hline,
        geom_line,
        geom_point,
        ggplot,
        labs,
        scale_color_manual,
        scale_x_continuous,
        scale_y_log10,
    )

    ok = records[records.status == "ok"]
    per_trial = ok.groupby(["workload", "cores", "rx_desc", "trial"], as_index=False).latency_p99_us.mean()
    data = per_trial.groupby(["workload", "cores", "rx_desc"], as_index=False).latency_p99_us.agg(
        p99="mean", low="min", high="max"
    )
    data["cores"] = pd.Categorical(data.cores.astype(str), [str(c) for c in sorted(data.cores.unique())])
    n = data.workload.nunique()
    rx = sorted(data.rx_desc.unique())
    plot = (
        ggplot(data, aes("rx_desc", "p99", color="cores"))
        + geom_line()
        + geom_point(size=1.8)
        + geom_errorbar(aes(ymin="low", ymax="high"), width=0.1)
        + geom_hline(yintercept=slo_us, linetype="dashed")
        + facet_wrap("workload", ncol=5)
        + scale_x_continuous(trans="log2", breaks=rx, labels=[str(v) for v in rx])
        + scale_y_log10()
        + scale_color_manual(values=PALETTE)
        + labs(x="rx_desc (log scale)", y="p99 latency (µs, log scale)", color="cores")
        + readable(11)
    )
    save_figure(plot, path, 14, 2.6 * _facet_rows(n) + 0.9)


def aggregate_heatmap(perf: pd.DataFrame, path: str | Path, objective: str) -> None:
    """Mean relative objective over all workloads: rx_desc x cores and rx_desc x tx_desc side by side."""
    from plotnine import aes, facet_wrap, geom_text, geom_tile, ggplot, labs, scale_fill_cmap

    parts = []
    for y in ("cores", "tx_desc"):
        best = perf.groupby(["workload", "rx_desc", y], as_index=False).relative.max()
        cells = best.groupby(["rx_desc", y], as_index=False).relative.mean()
        parts.append(
            pd.DataFrame(
                {
                    "rx_desc": cells.rx_desc.astype(str),
                    "level": cells[y],
                    "view": f"rx_desc x {y}",
                    "relative": cells.relative,
                }
            )
        )
    cells = pd.concat(parts, ignore_index=True)
    cells["rx_desc"] = pd.Categorical(cells.rx_desc, [str(v) for v in sorted(perf.rx_desc.unique())])
    levels = sorted(set(cells.level))
    cells["level"] = pd.Categorical(cells.level.astype(str), [str(v) for v in levels])
    cells["label"] = cells.relative.map(lambda v: f"{v:.2f}")
    plot = (
        ggplot(cells, aes("rx_desc", "level", fill="relative"))
        + geom_tile()
        + geom_text(aes(label="label"), size=7, color="white")
        + facet_wrap("view", scales="free_y")
        + scale_fill_cmap("viridis", limits=(0, 1))
        + labs(x="rx_desc", y="cores | tx_desc", fill=f"mean {objective}\n/ workload best")
        + readable()
    )
    save_figure(plot, path, 12, 4.2)


def dynamic_range_bars(ranges: pd.DataFrame, path: str | Path, high: float, low: float) -> None:
    from plotnine import aes, coord_flip, geom_col, geom_hline, ggplot, labs, scale_fill_manual

    data = ranges.assign(ratio=ranges.ratio.replace(np.inf, np.nan))
    cap = float(np.nanmax(data.ratio)) * 1.1 if data.ratio.notna().any() else high
    data["ratio"] = data.ratio.fillna(cap)
    data["workload"] = pd.Categorical(data.workload, list(data.sort_values("ratio").workload))
    plot = (
        ggplot(data, aes("workload", "ratio", fill="sensitivity"))
        + geom_col()
        + geom_hline(yintercept=high, linetype="dashed")
        + geom_hline(yintercept=low, linetype="dotted")
        + coord_flip()
        + scale_fill_manual(values={"high": PALETTE[3], "medium": PALETTE[1], "low": PALETTE[0]})
        + labs(x="", y="dynamic range (best / worst config)")
        + readable()
    )
    save_figure(plot, path, 10, 0.32 * len(data) + 1.4)


def penalty_heatmap(penalty: pd.DataFrame, path: str | Path) -> None:
    """Workload x best-config-of heatmap. Cells are 0.42 in with their value printed up to
    `PENALTY_LABELLED` workloads; beyond that they shrink so the matrix stays about 12 inches
    wide (the report shows it near full size) and the colour alone carries the value."""
    from plotnine import aes, element_text, geom_text, geom_tile, ggplot, labs, scale_fill_gradient, theme

    names = sorted(penalty.workload.unique())
    labelled = len(names) <= PENALTY_LABELLED
    cell = 0.42 if labelled else max(0.1, 12.0 / len(names))
    data = penalty.assign(
        workload=pd.Categorical(penalty.workload, names[::-1]),
        config_of=pd.Categorical(penalty.config_of, names),
        label=(penalty.penalty * 100).round().astype("Int64").astype(str),
    )
    plot = (
        ggplot(data, aes("config_of", "workload", fill="penalty"))
        + geom_tile()
        + scale_fill_gradient(
            low="#ffffff", high=PALETTE[3], limits=(0, 1), labels=lambda v: [f"{100 * x:.0f}" for x in v]
        )
        + labs(x="running the best config of ...", y="workload", fill="penalty (%)\n100 = total loss")
        + readable(11)
        + theme(axis_text_x=element_text(rotation=60 if labelled else 90, ha="right" if labelled else "center"))
    )
    if labelled:
        plot += geom_text(aes(label="label"), size=6)
    else:  # one text line per cell: 72 pt per inch, a little leading
        tick = min(11.0, 60.0 * cell)
        plot += theme(axis_text_x=element_text(size=tick), axis_text_y=element_text(size=tick))
    size = cell * len(names) + 2.5
    save_figure(plot, path, size + 2.0, size)


def importance_bars(importance: pd.DataFrame, path: str | Path, top: int = 10) -> None:
    from plotnine import aes, coord_flip, facet_wrap, geom_col, ggplot, labs

    ranked = importance[~importance.definitional].nsmallest(top, "rank")
    long = pd.concat(
        [
            pd.DataFrame(
                {"metric": ranked.metric, "measure": "mutual information (nats)", "value": ranked.mutual_info}
            ),
            pd.DataFrame({"metric": ranked.metric, "measure": "Spearman rho", "value": ranked.spearman}),
        ]
    )
    long["metric"] = pd.Categorical(long.metric, list(ranked.metric)[::-1])
    plot = (
        ggplot(long, aes("metric", "value"))
        + geom_col(fill=PALETTE[0])
        + coord_flip()
        + facet_wrap("measure", scales="free_x")
        + labs(x="", y="")
        + readable()
    )
    save_figure(plot, path, 12, 0.38 * len(ranked) + 1.6)
