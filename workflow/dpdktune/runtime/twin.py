"""The simulator as the runtime's world and its twin: one traffic cell, every config.

A cell is (workload, load level). Its landscape is 2 x `trials` simulator runs of every grid
config (independent seeds): the data-plane features each run shows and the objective it earns.
The first `trials` are what the tuner learns from: the offline campaign, and the slow tier's
replay of recorded traffic. The other `trials` are the live data plane: an interval sees one
of their features, picked per interval, and earns their mean objective for its config (so
that regret is not noise). The slow tier's counterfactual scores are therefore estimates from
other runs of the same traffic, off by the simulator's trial-to-trial noise; a real testbed's
twin would also miss by its model error.

The load level scales the workload's offered rate (`offered_mpps`, or its share of the line
rate, at most the whole line). Cells are cached in memory and, when `cache_dir` is set, on
disk (one .npz per cell, named by a hash of the simulator's source, the workload's definition,
the level, the grid, the hardware profile, the sim settings and the trials), so reruns and
parallel runs share them and a changed simulator never reads stale cells.

The world and the runtime's model of it are two views of one simulator (`Twin.known_only`):
the world knows every workload a scenario names; the runtime's twin knows only the workloads
of its offline campaign (the training catalogue) and the workloads it identified itself from
measurements (`Twin.add`), so it cannot read a held-out workload's definition by its name.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from dpdktune.atomic import write_bytes
from dpdktune.knobs import Knobs, expand_grid
from dpdktune.sections import section
from dpdktune.workloads import Workload

#: the metrics the report tables per cell and config (means over trials)
REPORT_METRICS = (
    "throughput_mpps",
    "offered_mpps",
    "drop_rate",
    "latency_p50_us",
    "latency_p99_us",
    "latency_p999_us",
    "useful_cycles_fraction",
)


@dataclass(frozen=True)
class Cell:
    """2 x trials runs per config: the first half is what the tuner learns from (campaign and
    replay), the second half what the live data plane shows, so no policy is scored on the very
    runs it was fitted on."""

    features: np.ndarray  # (configs, 2 x trials, features), NaN where a run failed
    objective_train: np.ndarray  # (configs,) mean objective over the learning trials, 0 where all failed
    objective: np.ndarray  # (configs,) mean objective over the live trials
    metrics: np.ndarray  # (configs, len(REPORT_METRICS)) means over the live trials

    @property
    def split(self) -> int:
        return self.features.shape[1] // 2

    @property
    def train_features(self) -> np.ndarray:
        return self.features[:, : self.split]

    @property
    def live_features(self) -> np.ndarray:
        return self.features[:, self.split :]

    @property
    def best(self) -> int:
        """The live oracle's config."""
        return int(np.argmax(self.objective))

    @property
    def best_train(self) -> int:
        """The best config as the learning trials see it (a tuner's label)."""
        return int(np.argmax(self.objective_train))


def scaled(workload: Workload, scale: float) -> Workload:
    """`workload` with its offered rate times `scale` (a line share is capped at the whole line)."""
    if workload.offered_mpps is not None:
        return replace(workload, offered_mpps=workload.offered_mpps * scale)
    return replace(workload, line_fraction=min(1.0, workload.line_fraction * scale))


def _simulator_digest() -> str:
    """A hash of the simulator's and the objective's source, so a changed model never reads stale cells."""
    import dpdktune.sim

    if not hasattr(_simulator_digest, "value"):
        root = Path(dpdktune.sim.__file__).parent
        files = sorted(root.glob("*.py")) + [root.parent / "objective.py", root.parent / "hardware.py"]
        h = hashlib.sha256()
        for f in files:
            h.update(f.read_bytes())
        _simulator_digest.value = h.hexdigest()[:16]
    return _simulator_digest.value


class Twin:
    def __init__(
        self,
        config: dict[str, Any],
        catalogue: dict[str, Workload],
        features,
        trials: int = 2,
        cache_dir: str | Path | None = None,
    ):
        from dpdktune.hardware import load_hardware

        self.config = config
        self.catalogue = catalogue
        self.features = tuple(features)
        self.trials = int(trials)
        self.grid: list[Knobs] = expand_grid(config["grid"])
        self.hw = load_hardware(config["hardware"])
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._cells: dict[tuple[str, float], Cell] = {}
        self.runs = 0

    def _key(self, workload: Workload, level: float) -> str:
        sim = self.config.get("sim", {})
        text = repr(
            (
                "cell v2",
                _simulator_digest(),
                workload,
                level,
                self.grid,
                self.config["hardware"],
                self.config["objective"],
                self.config.get("slo"),
                sim.get("window_ms"),
                sim.get("sample_interval_ms"),
                sim.get("noise_cv"),
                self.trials,
                int(self.config["seed"]),
                self.features,
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def known_only(self, names) -> Twin:
        """A view of this twin that knows only the workloads `names` of its catalogue (the runtime's
        model of the world: what its offline campaign measured), sharing the simulated cells."""
        import copy

        view = copy.copy(self)
        missing = sorted(set(names) - set(self.catalogue))
        if missing:
            raise ValueError(f"twin: no workload named {missing[0]!r} in the catalogue")
        view.catalogue = {n: self.catalogue[n] for n in names}
        return view

    def add(self, spec: Workload) -> None:
        """Make the workload `spec` known to this view (a workload identified from measurements)."""
        known = self.catalogue.get(spec.name)
        if known is not None and known != spec:
            raise ValueError(f"twin: workload {spec.name!r} is already defined otherwise")
        self.catalogue = {**self.catalogue, spec.name: spec}  # a new dict: views never share additions

    def cell(self, workload: str, level: float) -> Cell:
        # the name is checked first: the cells are shared with wider views (the world's)
        if workload not in self.catalogue:
            raise KeyError(f"twin: this twin does not know the workload {workload!r}")
        key = (workload, float(level))
        if key in self._cells:
            return self._cells[key]
        spec = self.catalogue[workload]
        path = self.cache_dir / f"{workload}-{level:g}-{self._key(spec, level)}.npz" if self.cache_dir else None
        cell = None
        if path is not None and path.exists():
            try:
                with np.load(path) as z:
                    cell = Cell(z["features"], z["objective_train"], z["objective"], z["metrics"])
            except (OSError, ValueError, KeyError):
                cell = None  # a damaged cache file is recomputed, never trusted
        if cell is None:
            cell = self._simulate(spec, level)
            if path is not None:
                buf = io.BytesIO()
                np.savez(
                    buf,
                    features=cell.features,
                    objective_train=cell.objective_train,
                    objective=cell.objective,
                    metrics=cell.metrics,
                )
                write_bytes(buf.getvalue(), path)
        self._cells[key] = cell
        return cell

    def _simulate(self, spec: Workload, level: float) -> Cell:
        from dpdktune.rl.env import run_features, run_objective

        load = scaled(spec, level)
        n, t, f = len(self.grid), 2 * self.trials, len(self.features)
        features = np.full((n, t, f), np.nan)
        objective = np.zeros((n, t))
        metrics = np.full((n, t, len(REPORT_METRICS)), np.nan)
        base = int(hashlib.sha256(f"{spec.name}/{level}".encode()).hexdigest()[:8], 16)
        for i, knobs in enumerate(self.grid):
            for j in range(t):
                out = self._run(load, knobs, base + j)
                features[i, j] = run_features(out.metrics, self.features)
                value = run_objective(out.metrics, knobs, out.applied, self.config)
                objective[i, j] = value if np.isfinite(value) else 0.0
                metrics[i, j] = [float(out.metrics.get(m, np.nan)) for m in REPORT_METRICS]
        half = self.trials
        return Cell(
            features,
            objective[:, :half].mean(axis=1),
            objective[:, half:].mean(axis=1),
            np.nanmean(metrics[:, half:], axis=1),
        )

    def probe(self, spec: Workload, config: int, trials: int = 1) -> np.ndarray:
        """The features `trials` simulator runs of workload `spec` (at its own rate) show under grid
        config `config`: one config only, to fit a workload to what the data plane measured."""
        from dpdktune.rl.env import run_features

        knobs = self.grid[int(config)]
        base = int(hashlib.sha256(f"{spec.name}/probe".encode()).hexdigest()[:8], 16)
        out = np.full((trials, len(self.features)), np.nan)
        for j in range(trials):
            run = self._run(spec, knobs, base + j)
            out[j] = run_features(run.metrics, self.features)
        return out

    def _run(self, spec: Workload, knobs: Knobs, stream: int):
        """One simulator run of `spec` under `knobs` with the config's sim settings; `stream` and the
        config's seed pick the run's seed."""
        from dpdktune.sim import simulate

        sim = section(self.config, "sim")
        self.runs += 1
        return simulate(
            spec,
            self.hw,
            knobs,
            (int(self.config["seed"]) * 1_000_003 + stream) % 2**62,
            window_ms=sim.window_ms,
            sample_interval_ms=sim.sample_interval_ms,
            noise_cv=sim.noise_cv,
        )

    def restarts(self, before: int, after: int) -> bool:
        a, b = self.grid[before], self.grid[after]
        return a.rx_desc != b.rx_desc or a.tx_desc != b.tx_desc
