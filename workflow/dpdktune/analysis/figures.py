"""The landscape figures (plotnine), saved as PNG files that the report embeds."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from dpdktune.atomic import replacing

DPI = 96


def _save(plot, path: str | Path, width: float, height: float) -> None:
    with replacing(path) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # plotnine's "saving N x M in image" chatter
        plot.save(tmp, width=width, height=height, dpi=DPI, verbose=False)


def _facet_rows(n: int, cols: int = 5) -> int:
    return max(1, int(np.ceil(n / cols)))


def heatmaps(perf: pd.DataFrame, y: str, path: str | Path, objective: str) -> None:
    """Per-workload heatmap of rx_desc x `y`: objective relative to the workload's best, averaged over the other knobs."""
    from plotnine import aes, element_text, facet_wrap, geom_tile, ggplot, labs, scale_fill_cmap, theme, theme_minimal

    cells = perf.groupby(["workload", "rx_desc", y], as_index=False).relative.mean()
    cells["rx_desc"] = pd.Categorical(cells.rx_desc.astype(str), [str(v) for v in sorted(perf.rx_desc.unique())])
    cells[y] = pd.Categorical(cells[y].astype(str), [str(v) for v in sorted(perf[y].unique())])
    n = cells.workload.nunique()
    plot = (
        ggplot(cells, aes("rx_desc", y, fill="relative"))
        + geom_tile()
        + facet_wrap("workload", ncol=5)
        + scale_fill_cmap("viridis", limits=(0, 1))
        + labs(x="rx_desc", y=y, fill=f"{objective}\n/ workload best")
        + theme_minimal()
        + theme(axis_text_x=element_text(rotation=90, size=7), axis_text_y=element_text(size=7))
    )
    _save(plot, path, 12.5, 2.3 * _facet_rows(n) + 0.6)


def aggregate_heatmap(perf: pd.DataFrame, path: str | Path, objective: str) -> None:
    """Mean relative objective over all workloads: rx_desc x cores and rx_desc x tx_desc side by side."""
    from plotnine import aes, facet_wrap, geom_text, geom_tile, ggplot, labs, scale_fill_cmap, theme_minimal

    parts = []
    for y in ("cores", "tx_desc"):
        cells = perf.groupby(["rx_desc", y], as_index=False).relative.mean()
        parts.append(pd.DataFrame({"rx_desc": cells.rx_desc.astype(str), "level": cells[y], "view": f"rx_desc x {y}", "relative": cells.relative}))
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
        + theme_minimal()
    )
    _save(plot, path, 10, 3.6)


def dynamic_range_bars(ranges: pd.DataFrame, path: str | Path, high: float, low: float) -> None:
    from plotnine import aes, coord_flip, geom_col, geom_hline, ggplot, labs, scale_fill_manual, theme_minimal

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
        + scale_fill_manual(values={"high": "#d7301f", "medium": "#fc8d59", "low": "#4575b4"})
        + labs(x="", y="dynamic range (best / worst config)")
        + theme_minimal()
    )
    _save(plot, path, 8, 0.25 * len(data) + 1.2)


def penalty_heatmap(penalty: pd.DataFrame, path: str | Path) -> None:
    from plotnine import aes, element_text, geom_text, geom_tile, ggplot, labs, scale_fill_gradient, theme, theme_minimal

    names = sorted(penalty.workload.unique())
    data = penalty.assign(
        workload=pd.Categorical(penalty.workload, names[::-1]),
        config_of=pd.Categorical(penalty.config_of, names),
        label=(penalty.penalty * 100).round().astype("Int64").astype(str),
    )
    plot = (
        ggplot(data, aes("config_of", "workload", fill="penalty"))
        + geom_tile()
        + geom_text(aes(label="label"), size=6)
        + scale_fill_gradient(low="#ffffff", high="#b30000", limits=(0, 1))
        + labs(x="running the best config of ...", y="workload", fill="penalty\n(1 = total loss)")
        + theme_minimal()
        + theme(axis_text_x=element_text(rotation=60, ha="right"))
    )
    size = 0.38 * len(names) + 2.5
    _save(plot, path, size + 1.5, size)


def importance_bars(importance: pd.DataFrame, path: str | Path, top: int = 10) -> None:
    from plotnine import aes, coord_flip, facet_wrap, geom_col, ggplot, labs, theme_minimal

    ranked = importance[~importance.definitional].nsmallest(top, "rank")
    long = pd.concat([
        pd.DataFrame({"metric": ranked.metric, "measure": "mutual information (nats)", "value": ranked.mutual_info}),
        pd.DataFrame({"metric": ranked.metric, "measure": "Spearman rho", "value": ranked.spearman}),
    ])
    long["metric"] = pd.Categorical(long.metric, list(ranked.metric)[::-1])
    plot = (
        ggplot(long, aes("metric", "value"))
        + geom_col(fill="#3182bd")
        + coord_flip()
        + facet_wrap("measure", scales="free_x")
        + labs(x="", y="")
        + theme_minimal()
    )
    _save(plot, path, 10, 0.3 * len(ranked) + 1.5)
