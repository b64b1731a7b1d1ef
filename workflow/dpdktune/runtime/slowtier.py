"""The slow tier: refit, distil, compile and shadow-validate a candidate tree in the background.

Learning is a refit, not a d3rlpy fine-tune: a fine-tune of the Q-network costs seconds to
minutes of CPU per cycle on this machine's two cores, while the signal it would add over a
supervised refit is small here, because the replay gives every config's outcome on the recent
traffic (a full-information problem, where the Q-network's own target is the same argmax).

What the slow tier knows of the traffic is what the data plane measures, never its name or load
level. An interval's traffic signature is the guard's key (`guard.traffic_key`: offered rate and
mean frame size, log buckets). Its twin (`Twin.known_only`) is assumed to know only:

- the offline campaign: the training workloads at the runtime's load levels (every config,
  learning trials: features and objective);
- the simulator's workload model, so it can simulate a workload it identified itself;
- what the data plane measured live (features, and the objective of the config that ran).

A signature is matched to the campaign cell whose learning-trial features under the config that
ran are nearest to the features measured (rates, sizes and cycles as logarithms, every feature in
units of the campaign's trial-to-trial noise; a decaying mean over the signature's intervals, so
two kinds of traffic that share a signature each get their own cell while they run). When that
distance is within the campaign's own trial-to-trial spread (`EXPLAINED_QUANTILE` of the distance
between two learning trials of one cell and config), the campaign cell stands for the signature.
Otherwise the traffic is one the campaign never saw, and its twin cell is system-identified
through the simulator's own workload model: a training workload's shape (arrival process, flows,
frame size mix) with its offered rate and frame sizes set to the signature's bucket and its
per-packet app cycles fitted, the (shape, cycles) pair whose simulation under the config that ran
shows the features nearest to the ones measured (`fit_workload`). Anything about the traffic that
this does not capture (a burst pattern no training workload has) the twin gets wrong until the
data plane measures a config there.

Each cycle:

1. the ring buffer of recent metrics (bounded, `buffer_intervals`) names the twin cells that
   stood for the signatures seen lately; each identified one is simulated and kept as fresh
   training rows (at most `max_fresh_cells`, the oldest dropped first). Each interval's measured
   objective also calibrates the twin online: the estimate of a (cell, config) the data plane
   ran is replaced by the mean measured there (the cell that stood for the interval's
   signature). The calibration outlives the ring buffer (one number per (cell, config) pair
   measured, so bounded): a config the data plane found on a loss cliff stays relabelled when
   its traffic comes back hours later;
2. a decision tree (`tree_depth`, `min_samples_leaf`) is fitted on the offline campaign plus the
   fresh rows (an identified cell's include the newest features the data plane measured on its
   traffic, `LIVE_ROWS_PER_CONFIG` per config: its fitted workload is near the real traffic, not on
   it, and a tree whose boxes hold only the simulation sends the very traffic it was trained for
   to the safe default): state = the data-plane features under any config, label = the cell's
   best config on the calibrated twin, where configs within `label_tie_share` of the best are a tie that
   goes to the largest rings (the headroom): the twin's few learning trials cannot tell those
   apart, and its argmax among them is the config that was luckiest in them, often the
   smallest rings right at the loss cliff, which the live traffic then falls off;
3. it is flattened to tree.json (leaf boxes for the novelty gate, the safe default, the
   confidence threshold) and compiled to an .fpt file that the C library loads (`fp_load`).
   The gate's margin is calibrated on the runtime's own in-distribution features: boxes from
   the first learning trial of every cell, then the smallest margin whose false-fallback rate
   on the other trials is at most `novelty_max_false_fallback` in nine cells out of ten (a
   fixed margin, or a rate averaged over all rows, sent whole bursty workloads to the safe
   default interval after interval: their trials differ more than the others');
4. shadow validation: the candidate and the tree now live are each run as fp_decide runs them
   (through the novelty gate) on the recent traffic replayed as it ran (`replay`): the data plane's
   own features under the configs it ran, the twin's under the others, the calibrated twin's
   objective values, restarts charged (without measured rows: `shadow_decisions` closed-loop
   decisions on the twin cell of every recent signature); the candidate is accepted only when it
   beats the live tree by `shadow_min_gain` and is not below the safe default there, and when it
   does not lose more than `shadow_min_gain` against the live tree over the campaign's cells (a
   refit that fixes the recent traffic can move another cell's closed loop to a worse fixed point,
   which the recent cells alone never show).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dpdktune.runtime.twin import Twin


@dataclass
class Candidate:
    version: int
    fpt: Path
    table: dict[str, Any]
    handle: int | None
    shadow: dict[str, float]
    accepted: bool
    cpu_s: float
    wall_s: float
    reason: str
    simulated: tuple = ()  # the identified cells this cycle simulated (ready for the main thread's estimates)


def cell_rows(cell) -> tuple[np.ndarray, np.ndarray]:
    """(features under every config and learning trial, the best config there) as training rows."""
    X = cell.train_features.reshape(-1, cell.features.shape[-1])
    keep = np.all(np.isfinite(X), axis=1)
    return X[keep], np.full(int(keep.sum()), cell.best_train)


def robust_label(objective: np.ndarray, headroom: np.ndarray, tie: float) -> int:
    """The best config, ties (within `tie` of the best) going to the most headroom, then the value."""
    best = float(objective.max())
    near = np.flatnonzero(objective >= best - tie * abs(best))
    return int(near[np.lexsort((objective[near], headroom[near]))[-1]])


def trial_rows(cell) -> tuple[np.ndarray, np.ndarray]:
    """(features under every config in the first learning trial, the same in the other trials)."""
    F = cell.train_features

    def finite(block: np.ndarray) -> np.ndarray:
        X = block.reshape(-1, block.shape[-1])
        return X[np.all(np.isfinite(X), axis=1)]

    return finite(F[:, :1]), finite(F[:, 1:])


Sig = tuple  # a traffic signature: guard.traffic_key's bucket indices
Cellkey = tuple  # (workload name, load level) of a cell the runtime's twin knows

#: a signature is explained by its nearest campaign cell when its mean distance there is within
#: this quantile of the distances between two learning trials of one cell and config (the
#: campaign's own trial-to-trial spread); a calibration like the novelty gate's, not a tuned knob
EXPLAINED_QUANTILE = 0.99
#: the weight an interval's matching evidence keeps per later interval of the same signature: the
#: signature's cell follows the traffic that runs now within a few intervals (0.5 and 0.9 tried on
#: config/scenarios/tuning.yaml, seed 5: 0.9872 and 0.9829 of the oracle)
EVIDENCE_DECAY = 0.5
#: per-packet app cycles a workload identified from measurements is fitted over
APP_CYCLES = (0, 25, 50, 100, 200, 400, 800, 1600, 3200, 6400)
#: the newest live feature rows kept per (identified cell, config) for the refit: as many as a few
#: learning trials, so the data plane's own rows widen the novelty boxes to the traffic they came
#: from without outweighing the twin's rows of the cells near it (a memory bound, not tuned)
LIVE_ROWS_PER_CONFIG = 5
#: features the matching compares as logarithms
LOG_FEATURES = frozenset({"rx_mpps", "throughput_mpps", "mean_frame_bytes", "cycles_per_packet"})


def identified_name(shape: str, sig: Sig, cycles: float) -> str:
    return f"identified-{shape}-r{sig[0]}-f{sig[1]}-c{cycles:g}"


class SlowTier:
    def __init__(
        self,
        twin: Twin,
        settings: dict[str, Any],
        safe: int,
        campaign_cells,
        out_dir: Path,
        seed: int,
        restart_factor: float,
    ):
        """`twin`: the runtime's twin (it must know only the campaign's workloads: `Twin.known_only`)."""
        self.twin = twin
        self.s = settings
        self.safe = safe
        self.out_dir = out_dir
        self.seed = seed
        self.restart_factor = restart_factor
        self.campaign_list = [(str(w), float(lv)) for w, lv in campaign_cells]
        self.rows = {key: cell_rows(twin.cell(*key))[0] for key in self.campaign_list}
        self.campaign_X = np.concatenate(list(self.rows.values()))
        self.campaign_cells = set(self.campaign_list)
        self.fresh: OrderedDict[Cellkey, None] = OrderedDict()
        self.buffer: deque = deque(maxlen=int(settings["buffer_intervals"]))
        self.calib: dict[Cellkey, dict[int, list[float]]] = {}  # twin cell -> config -> [sum, n, min, max]
        self.gate: dict[str, Any] = {}
        self.headroom = np.array([np.log2(k.rx_desc) + np.log2(k.tx_desc) for k in twin.grid])
        # matching traffic to campaign cells: learning-trial features, in units of their trial noise
        ref = np.stack([self._transform(twin.cell(*key).train_features) for key in self.campaign_list])
        self._scale, self.explained = self._noise(ref)
        self._ref = ref / self._scale  # (cells, configs, trials, features)
        self.evidence: dict[Sig, list] = {}  # signature -> [decayed distances to each cell, weight, latest nearest]
        self.target_of: dict[Sig, Cellkey] = {}  # the twin cell that stands for each signature now
        self.nearest_of: dict[Sig, Cellkey] = {}  # its nearest campaign cell
        self.ready: set[Cellkey] = set()  # identified cells simulated (by a finished cycle)
        self.identified: dict[str, tuple[str, Sig, float]] = {}  # name -> (shape's workload, signature, cycles)
        self._identified_for: dict[Sig, str] = {}  # signature -> its identified cell's name
        # identified cell -> config -> {interval time: features the data plane measured there}
        self.live_fit: dict[Cellkey, dict[int, OrderedDict]] = {}

    def _transform(self, X: np.ndarray) -> np.ndarray:
        """Features on the scale the matching compares them: rates, sizes and cycles as logarithms
        (a 40 % load step at 0.2 Mpps is as real as one at 20 Mpps), NaN (a failed run) as 0."""
        X = np.array(np.nan_to_num(np.asarray(X, float)))
        for i, name in enumerate(self.twin.features):
            if name in LOG_FEATURES:
                X[..., i] = np.log(np.maximum(X[..., i], 1e-3))
        return X

    @staticmethod
    def _noise(ref: np.ndarray) -> tuple[np.ndarray, float]:
        """(per-feature trial-to-trial noise of the campaign, the `EXPLAINED_QUANTILE` of the distance
        between two learning trials of one cell and config in those units)."""
        flat = ref.reshape(-1, ref.shape[-1])
        floor = 1e-3 * flat.std(axis=0) + 1e-9  # a feature with no trial noise still counts, finitely
        if ref.shape[2] < 2:  # one trial: no noise to measure, every signature is explained
            scale = np.maximum(flat.std(axis=0), floor)
            return scale, float("inf")
        diff = ref[:, :, 1] - ref[:, :, 0]
        scale = np.maximum(np.sqrt(np.mean(diff**2, axis=(0, 1)) / 2), floor)
        d = np.sqrt(((diff / scale) ** 2).sum(axis=-1))
        return scale, float(np.quantile(d, EXPLAINED_QUANTILE))

    def _distances(self, config: int, x: np.ndarray) -> np.ndarray:
        """Distance of features `x` (measured under `config`) to each campaign cell's learning trials."""
        z = self._transform(x) / self._scale
        return np.sqrt(((self._ref[:, int(config)] - z) ** 2).sum(axis=-1)).min(axis=1)

    # -- identifying traffic from measurements ---------------------------------------------------------
    def observe(self, sig: Sig | None, config: int, x: np.ndarray) -> None:
        """One interval's features `x`, measured under `config` on traffic with signature `sig`:
        evidence for which twin cell stands for that signature (older intervals' evidence decays, so
        two kinds of traffic that share a signature each get their own cell while they run)."""
        if sig is None:
            return
        sig = tuple(sig)
        acc = self.evidence.get(sig)
        if acc is None:
            acc = self.evidence[sig] = [np.zeros(len(self.campaign_list)), 0.0, 0.0]
        d = self._distances(config, x)
        acc[0] = EVIDENCE_DECAY * acc[0] + d
        acc[1] = EVIDENCE_DECAY * acc[1] + 1.0
        acc[2] = float(d.min())
        self._retarget(sig, config, x)

    def _retarget(self, sig: Sig, config: int | None = None, x: np.ndarray | None = None) -> None:
        total, weight, latest = self.evidence[sig]
        mean = total / weight
        best = int(np.argmin(mean))
        self.nearest_of[sig] = self.campaign_list[best]
        # unexplained only when the latest interval is too: right after a shift between two kinds of
        # traffic that share a signature, the older one's evidence still weighs on the mean
        if mean[best] <= self.explained or latest <= self.explained:
            target = self.campaign_list[best]
        elif sig in self._identified_for:
            target = (self._identified_for[sig], 1.0)
        elif x is not None:
            target = self.identify(sig, *self.fit_workload(sig, int(config), x))
        else:
            return  # restoring: the cell is identified again where it was
        self.target_of[sig] = target

    def fit_workload(self, sig: Sig, config: int, x: np.ndarray) -> tuple[str, float]:
        """(training workload shape, per-packet app cycles) whose simulation at the signature's rate
        and frame size, under `config`, shows features nearest to `x` (what the data plane measured):
        a system identification through the simulator's own workload model, one run per candidate."""
        z = self._transform(x) / self._scale
        best, fit = np.inf, None
        for shape in dict.fromkeys(w for w, _ in self.campaign_list):
            for cycles in APP_CYCLES:
                probe = self.twin.probe(self._spec(shape, sig, cycles), config)
                d = float(np.sqrt(((self._transform(probe[0]) / self._scale - z) ** 2).sum()))
                if d < best:
                    best, fit = d, (shape, float(cycles))
        return fit

    def _spec(self, shape_name: str, sig: Sig, cycles: float):
        from dataclasses import replace

        from dpdktune.runtime.guard import FRAME_STEP, RATE_STEP

        shape = self.twin.catalogue[shape_name]
        rate, frame = RATE_STEP ** sig[0], FRAME_STEP ** sig[1]
        factor = frame / shape.mean_size
        sizes = tuple(int(min(9018, max(60, round(v * factor)))) for v in shape.sizes)
        return replace(
            shape,
            name=identified_name(shape.name, sig, cycles),
            description=f"identified from measurements: {shape.name}'s shape at {rate:.3g} Mpps, {frame:.0f} B, "
            f"{cycles:g} app cycles per packet",
            sizes=sizes,
            offered_mpps=rate,
            app_cycles=float(cycles),
            trace=None,
            trace_sha256=None,
        )

    def identify(self, sig: Sig, shape_name: str, cycles: float) -> Cellkey:
        """The twin cell of traffic the campaign never saw: a training workload's shape with its
        offered rate and frame sizes set to the signature's and its per-packet work fitted
        (`fit_workload`); made known to the twin, simulated when a cycle first reads it."""
        spec = self._spec(shape_name, sig, cycles)
        self.twin.add(spec)
        self.identified[spec.name] = (shape_name, tuple(sig), float(cycles))
        self._identified_for[tuple(sig)] = spec.name
        return (spec.name, 1.0)

    def target(self, sig: Sig | None) -> Cellkey | None:
        """The twin cell that stands for signature `sig` now (None: no signature, or never observed)."""
        return None if sig is None else self.target_of.get(tuple(sig))

    # -- the ring buffer of recent metrics ---------------------------------------------------------------
    def record(self, t: float, sig: Sig | None, config: int, features: np.ndarray, value: float | None):
        """One interval's metrics on traffic with signature `sig` (observed first); `value` is its
        measured objective, None when a restart spoilt it. It calibrates the twin cell that stands
        for the signature now (not the signature: two kinds of traffic that share one would mix)."""
        sig = None if sig is None else tuple(sig)
        cell = self.target(sig)
        self.buffer.append((t, sig, cell, config, features, value))
        if value is not None and cell is not None:
            acc = self.calib.setdefault(cell, {}).get(int(config))
            if acc is None:
                self.calib[cell][int(config)] = [float(value), 1, float(value), float(value)]
            else:
                acc[0] += float(value)
                acc[1] += 1
                acc[2], acc[3] = min(acc[2], float(value)), max(acc[3], float(value))

    def measured(self) -> dict[Cellkey, dict[int, float]]:
        """Mean measured objective per (twin cell, config): the online calibration."""
        return {key: {c: acc[0] / acc[1] for c, acc in per.items()} for key, per in self.calib.items()}

    def estimate(self, sig: Sig | None, config: int) -> float:
        """The calibrated twin's objective of `config` on traffic with signature `sig` (NaN: no
        signature, or never observed). An identified cell no cycle has simulated yet stands in
        with the nearest campaign cell's (the main thread never waits for the simulator)."""
        cell = self.target(sig)
        if cell is None:
            return float("nan")
        acc = self.calib.get(cell, {}).get(int(config))
        if acc:
            return acc[0] / acc[1]
        if cell not in self.campaign_cells and cell not in self.ready:
            cell = self.nearest_of[tuple(sig)]
        return float(self.twin.cell(*cell).objective_train[config])

    def surprised(self, sig: Sig | None, config: int, value: float, tolerance: float) -> bool:
        """Whether `value`, measured under `config` on signature `sig`, is more than `tolerance` off
        what the calibrated twin expects there: outside the range already measured for that config
        on the cell that stands for the signature (traffic whose features straddle two cells, mmpp
        at neighbouring loads, spreads its values over both), or, where it never ran, off the
        estimate."""
        cell = self.target(sig)
        if cell is None:
            return False
        acc = self.calib.get(cell, {}).get(int(config))
        lo, hi = (acc[2], acc[3]) if acc else (self.estimate(sig, config),) * 2
        return bool(value < lo - tolerance * max(abs(lo), 1e-12) or value > hi + tolerance * max(abs(hi), 1e-12))

    def objective(self, key: Cellkey, measured) -> np.ndarray:
        """The twin's objective of a cell per config, with the configs measured live replaced by their
        measurements (the twin calibrated online on what the data plane saw)."""
        obj = self.twin.cell(*key).objective_train.copy()
        for config, value in (measured or {}).get(key, {}).items():
            obj[config] = value
        return obj

    def recent_cells(self, now: float) -> list[Cellkey]:
        """The twin cells that stood for the traffic seen within `shadow_window_s`, first seen first."""
        return list(self.live_rows(now))

    def live_rows(self, now: float) -> dict[Cellkey, list[tuple[float, int, np.ndarray]]]:
        """What the data plane measured within `shadow_window_s`, per twin cell that stood for it:
        (interval time, the config that ran, its features)."""
        window = float(self.s["shadow_window_s"])
        rows: dict[Cellkey, list] = {}
        for t, _, cell, config, x, _ in self.buffer:
            if t >= now - window and cell is not None:
                rows.setdefault(cell, []).append((float(t), int(config), np.asarray(x, float)))
        return rows

    def _keep_live(self, live) -> None:
        """Keep the newest live rows of every identified cell (`LIVE_ROWS_PER_CONFIG` per config)."""
        for key, rows in (live or {}).items():
            if key in self.campaign_cells:
                continue
            per = self.live_fit.setdefault(key, {})
            for t, config, x in rows:
                kept = per.setdefault(int(config), OrderedDict())
                kept[float(t)] = np.asarray(x, float)
                while len(kept) > LIVE_ROWS_PER_CONFIG:
                    kept.popitem(last=False)

    def _live_block(self, key: Cellkey) -> np.ndarray:
        X = [x for per in self.live_fit.get(key, {}).values() for x in per.values()]
        return np.nan_to_num(np.array(X, float), nan=0.0) if X else np.empty((0, len(self.twin.features)))

    def state(self) -> dict[str, Any]:
        return {
            "fresh": [list(k) for k in self.fresh],
            "calib": [[w, lv, c, *acc] for (w, lv), per in self.calib.items() for c, acc in per.items()],
            "evidence": [[list(sig), acc[1], acc[2], [float(v) for v in acc[0]]] for sig, acc in self.evidence.items()],
            "ready": [list(k) for k in sorted(self.ready)],
            "identified": [[shape, list(sig), cycles] for shape, sig, cycles in self.identified.values()],
            "live_fit": [
                [w, lv, c, t, [float(v) for v in x]]
                for (w, lv), per in self.live_fit.items()
                for c, kept in per.items()
                for t, x in kept.items()
            ],
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.calib, self.evidence, self.target_of, self.nearest_of = {}, {}, {}, {}
        self.identified, self._identified_for = {}, {}
        for shape, sig, cycles in state.get("identified", []):
            self.identify(tuple(sig), str(shape), float(cycles))
        for w, lv, c, total, n, lo, hi in state.get("calib", []):
            self.calib.setdefault((str(w), float(lv)), {})[int(c)] = [float(total), int(n), float(lo), float(hi)]
        for sig, weight, latest, total in state.get("evidence", []):
            self.evidence[tuple(sig)] = [np.array(total, float), float(weight), float(latest)]
            self._retarget(tuple(sig))
        self.fresh = OrderedDict(((str(w), float(lv)), None) for w, lv in state.get("fresh", []))
        self.ready = {(str(w), float(lv)) for w, lv in state.get("ready", [])}
        self.live_fit = {}
        for w, lv, c, t, x in state.get("live_fit", []):
            self.live_fit.setdefault((str(w), float(lv)), {}).setdefault(int(c), OrderedDict())[float(t)] = np.array(x)

    def save_buffer(self, path: Path) -> None:
        """The ring buffer as .npz (written to a temp name, then renamed), for a resumed run."""
        import io

        from dpdktune.atomic import write_bytes

        rows = list(self.buffer)
        buf = io.BytesIO()
        np.savez(
            buf,
            t=np.array([r[0] for r in rows], float),
            signature=np.array([(np.nan, np.nan) if r[1] is None else r[1] for r in rows], float).reshape(-1, 2),
            workload=np.array(["" if r[2] is None else r[2][0] for r in rows], str),
            level=np.array([np.nan if r[2] is None else r[2][1] for r in rows], float),
            config=np.array([r[3] for r in rows], int),
            features=np.array([r[4] for r in rows], float).reshape(len(rows), -1),
            value=np.array([np.nan if r[5] is None else r[5] for r in rows], float),
        )
        write_bytes(buf.getvalue(), path)

    def load_buffer(self, path: Path) -> None:
        if not path.exists():
            return
        with np.load(path) as z:
            rows = zip(z["t"], z["signature"], z["workload"], z["level"], z["config"], z["features"], z["value"])
            for t, sig, w, lv, c, f, v in rows:
                key = None if np.isnan(sig).any() else tuple(int(s) for s in sig)
                cell = None if not str(w) else (str(w), float(lv))
                self.buffer.append((float(t), key, cell, int(c), f, None if np.isnan(v) else float(v)))

    # -- one cycle -------------------------------------------------------------------------------------
    def fit_table(self, cells, measured=None, live=None) -> dict[str, Any]:
        """The refit's tree.json on the campaign plus the fresh cells; an identified cell's rows include
        the newest features the data plane measured on its traffic (`live`: `live_rows`), so its
        novelty boxes cover the traffic the cell was identified from, not only the twin's simulation
        of it (the fitted workload is close, not equal: its features sit beside the live ones)."""
        from dpdktune.distill.export import range_bounds
        from dpdktune.distill.fit import fit_tree
        from dpdktune.treefile import from_sklearn

        for key in cells:
            if key not in self.campaign_cells:
                self.fresh[key] = None
                self.fresh.move_to_end(key)
        while len(self.fresh) > int(self.s["max_fresh_cells"]):
            self.fresh.popitem(last=False)
        self._keep_live(live)
        self.live_fit = {key: per for key, per in self.live_fit.items() if key in self.fresh}
        blocks = {**self.rows}
        for key in self.fresh:
            blocks[key] = np.concatenate([cell_rows(self.twin.cell(*key))[0], self._live_block(key)])
        X = np.concatenate(list(blocks.values()))
        tie = float(self.s["label_tie_share"])
        y = np.concatenate(
            [
                np.full(len(rows), robust_label(self.objective(key, measured), self.headroom, tie))
                for key, rows in blocks.items()
            ]
        )
        tree = fit_tree(X, y, None, int(self.s["tree_depth"]), int(self.s["min_samples_leaf"]), None, self.seed)
        margin = self.gate_margin(tree, list(blocks)) if self.s["novelty"] else 1e6
        return from_sklearn(
            tree,
            list(self.twin.features),
            list(self.twin.grid),
            range_bounds(X),
            X,
            self.safe,
            float(self.s["confidence_threshold"]),
            leaf_margin=margin,
            method="runtime-refit",
            inputs={"rows": str(len(X)), "fresh_cells": str(len(self.fresh))},
        )

    def gate_margin(self, tree, keys) -> float:
        """The novelty gate's margin for `tree`, calibrated on the runtime's own in-distribution
        features: boxes from every cell's first learning trial, false fallbacks counted on the
        others (the live data plane differs from the learning trials by the same trial noise)."""
        from dpdktune.distill.export import range_bounds
        from dpdktune.distill.fallback import MARGINS, fallback_mask
        from dpdktune.treefile import from_sklearn

        if self.twin.trials < 2:
            return float(self.s["leaf_margin"])  # nothing held out to calibrate on
        parts = [trial_rows(self.twin.cell(*key)) for key in keys]
        fit_rows = np.concatenate([a for a, _ in parts])
        held = np.concatenate([b for _, b in parts])
        cell_of = np.repeat(np.arange(len(parts)), [len(b) for _, b in parts])
        bounds = range_bounds(fit_rows)
        target = float(self.s["novelty_max_false_fallback"])
        tried = {}
        chosen = MARGINS[-1]
        for margin in MARGINS:
            table = from_sklearn(
                tree,
                list(self.twin.features),
                list(self.twin.grid),
                bounds,
                fit_rows,
                self.safe,
                0.0,
                leaf_margin=margin,
                method="runtime-refit",
            )
            false = fallback_mask(table, held).astype(float)
            per_cell = np.bincount(cell_of, false, len(parts)) / np.maximum(np.bincount(cell_of, None, len(parts)), 1)
            tried[str(margin)] = float(np.quantile(per_cell, 0.9))
            if tried[str(margin)] <= target:
                chosen = margin
                break
        self.gate = {"margin": float(chosen), "target_false_fallback": target, "cell_quantile": 0.9, "tried": tried}
        return float(chosen)

    def rollout(self, decide, cells, start: int, measured=None, live=None) -> float:
        """Mean over `cells` of the closed-loop objective / oracle of `decide` (a tree through its
        novelty gate, as the data plane decides) from config `start`, on the calibrated twin. Under a
        config the data plane ran on a cell's traffic (`live`: `live_rows`) the decision reads the
        features it measured there, in turn; under any other, the twin's: a tree whose boxes miss
        the live traffic falls back here as it does live."""
        scores = []
        for w, lv in cells:
            cell = self.twin.cell(w, lv)
            objective = self.objective((w, lv), measured)
            seen: dict[int, list[np.ndarray]] = {}
            for _, config, x in (live or {}).get((w, lv), []):
                seen.setdefault(int(config), []).append(x)
            current, total = start, 0.0
            for k in range(int(self.s["shadow_decisions"])):
                rows = seen.get(current)
                x = rows[k % len(rows)] if rows else cell.train_features[current, k % cell.split]
                nxt = decide(np.nan_to_num(x, nan=0.0))
                value = objective[nxt] * (self.restart_factor if self.twin.restarts(current, nxt) else 1.0)
                total += value
                current = nxt
            best = objective.max()
            scores.append(total / (best * int(self.s["shadow_decisions"])) if best > 0 else 1.0)
        return float(np.mean(scores)) if scores else float("nan")

    def replay(self, decide, live, measured=None) -> float:
        """The recent traffic replayed as it ran (`live`: `live_rows`, in time order), closed-loop for
        `decide` (a tree through its novelty gate) from the config that ran first: objective / the
        calibrated oracle's, summed over the intervals, restarts charged. Each decision reads what the
        data plane measured on the previous interval's traffic under the config now running (that
        interval's own row where it ran that config, else a row of the same cell and config, else the
        twin's features) and earns the calibrated twin's value on the next interval's cell. Traffic
        that alternates between signatures (on/off traffic straddling two rate buckets) alternates here
        too, so a tree that flips rings with it pays the restarts a per-cell rollout never shows."""
        seq = sorted(((t, key, config, x) for key, rows in live.items() for t, config, x in rows), key=lambda r: r[0])
        if len(seq) < 2:
            return float("nan")
        seen: dict[tuple, list[np.ndarray]] = {}
        for _, key, config, x in seq:
            seen.setdefault((key, config), []).append(x)
        objective = {key: self.objective(key, measured) for key in live}
        current, total, best = seq[0][2], 0.0, 0.0
        for k in range(1, len(seq)):
            _, prev, ran, x = seq[k - 1]
            if ran != current:
                rows = seen.get((prev, current))
                if rows:
                    x = rows[k % len(rows)]
                else:
                    cell = self.twin.cell(*prev)
                    x = cell.train_features[current, k % cell.split]
            nxt = decide(np.nan_to_num(x, nan=0.0))
            obj = objective[seq[k][1]]
            total += obj[nxt] * (self.restart_factor if self.twin.restarts(current, nxt) else 1.0)
            best += obj.max()
            current = nxt
        return float(total / best) if best > 0 else 1.0

    def cycle(self, lib, live_handle: int | None, version: int, cells, start: int, measured, live=None) -> Candidate:
        """Fit, compile, load and shadow-validate candidate `version` (runs in the worker thread, on
        `cells`, `measured` and `live` (`live_rows`) taken from the buffer by the main thread: the
        buffer keeps changing)."""
        from dpdktune.codegen.pack import write_fpt
        from dpdktune.treefile import write_tree_json
        from dpdktune.treelayout import compile_table

        cpu0, wall0 = time.thread_time(), time.perf_counter()
        table = self.fit_table(cells, measured, live)
        trees = self.out_dir / "trees"
        trees.mkdir(parents=True, exist_ok=True)
        write_tree_json(table, trees / f"v{version}.json")
        fpt = write_fpt(compile_table(table), trees / f"v{version}.fpt")
        handle = lib.load(fpt)
        deciders = {
            "candidate": lambda x: lib.tree_decide(handle, x),
            "live": (lambda x: lib.tree_decide(live_handle, x)) if live_handle else (lambda x: self.safe),
            "safe": lambda x: self.safe,
        }
        # the recent traffic as it ran where the data plane measured it; else each cell on the twin
        scored = {name: self.replay(tree, live or {}, measured) for name, tree in deciders.items()}
        if not np.isfinite(scored["candidate"]):
            scored = {name: self.rollout(tree, cells, start, measured, live) for name, tree in deciders.items()}
        cand, now, safe = scored["candidate"], scored["live"], scored["safe"]
        gain = float(self.s["shadow_min_gain"])
        accepted = bool(cand >= now * (1.0 + gain) and cand >= safe)
        reason = (
            f"candidate {cand:.3f} vs live {now:.3f} vs safe default {safe:.3f} of the oracle "
            f"on the recent traffic ({len(cells)} cells)"
        )
        if accepted and live_handle:
            known = sorted(self.campaign_cells)
            cand_all = self.rollout(lambda x: lib.tree_decide(handle, x), known, start, measured, live)
            live_all = self.rollout(lambda x: lib.tree_decide(live_handle, x), known, start, measured, live)
            accepted = bool(cand_all >= live_all * (1.0 - gain))
            reason += f"; {cand_all:.3f} vs {live_all:.3f} over the {len(known)} campaign cells"
        if not accepted:
            lib.free(handle)
            handle = None
        return Candidate(
            version,
            Path(fpt),
            table,
            handle,
            {"candidate": cand, "live": now, "safe": safe},
            accepted,
            time.thread_time() - cpu0,
            time.perf_counter() - wall0,
            reason,
            tuple(key for key in cells if key not in self.campaign_cells),
        )
