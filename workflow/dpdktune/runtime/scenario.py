"""A scenario: which workload arrives at what load, over time.

The file is YAML with a top-level `phases:` list. Each item is a phase or a generator:

- a phase: `{workload: NAME, duration_s: S, load_scale: X}`;
- `{diurnal: {duration_s, period_s, min_scale, max_scale, step_s, workloads, shift_every_s, seed}}`:
  a day-shaped load curve, lowest at the start and highest at half the period (a cosine, the
  shape of the daily demand curves in datacentre traces), held for `step_s` at a time; when
  `shift_every_s: [lo, hi]` is given the workload changes to a random other one of `workloads`
  every lo..hi seconds;
- `{shifts: {duration_s, workloads, every_s: [lo, hi], load_scale: [lo, hi], seed}}`: a random
  workload at a random load every lo..hi seconds;
- `{inject: {workload, duration_s, load_scale}}`: a phase whose workload the model never saw
  (the run marks it novel when the workload is not one of the config's `workloads`).

Workload names come from the catalogue or the config's own definitions (`workload_defs`).
`expand` turns the file into segments of constant workload and load, in order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

PHASE_KEYS = ("workload", "duration_s", "load_scale")
GENERATORS = ("diurnal", "shifts", "inject")


@dataclass(frozen=True)
class Segment:
    start_s: float
    duration_s: float
    workload: str
    load_scale: float
    shift: bool  # whether the workload or the load class changes at its start (adaptation is timed from it)

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


def _number(raw: dict, key: str, where: str, lo: float = 0.0, default: Any = None) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= lo:
        raise ValueError(f"{where}.{key}: must be a number > {lo:g}, got {value!r}")
    return float(value)


def _range(raw: dict, key: str, where: str, default: Any = None) -> tuple[float, float]:
    value = raw.get(key, default)
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in value)
        or value[0] > value[1]
    ):
        raise ValueError(f"{where}.{key}: must be [low, high] with 0 < low <= high, got {value!r}")
    return float(value[0]), float(value[1])


def _names(raw: dict, where: str, known: set[str]) -> list[str]:
    names = raw.get("workloads")
    if not isinstance(names, list) or not names:
        raise ValueError(f"{where}.workloads: must be a non-empty list of workload names")
    for n in names:
        _known(n, f"{where}.workloads", known)
    return [str(n) for n in names]


def _known(name: Any, where: str, known: set[str]) -> str:
    if not isinstance(name, str) or name not in known:
        raise ValueError(f"{where}: unknown workload {name!r} (not in the catalogue or workload_defs)")
    return name


def _phase(raw: dict, where: str, known: set[str]) -> tuple[str, float, float]:
    unknown = sorted(set(raw) - set(PHASE_KEYS))
    if unknown:
        raise ValueError(
            f"{where}.{unknown[0]}: unknown key (a phase has {list(PHASE_KEYS)}, or use one of "
            f"the generators {list(GENERATORS)})"
        )
    return (
        _known(raw.get("workload"), f"{where}.workload", known),
        _number(raw, "duration_s", where),
        _number(raw, "load_scale", where, default=1.0),
    )


def _diurnal(raw: dict, where: str, known: set[str]) -> list[tuple[str, float, float]]:
    duration = _number(raw, "duration_s", where)
    period = _number(raw, "period_s", where, default=86400.0)
    lo = _number(raw, "min_scale", where, default=0.2)
    hi = _number(raw, "max_scale", where, default=1.0)
    if lo > hi:
        raise ValueError(f"{where}.min_scale: {lo} is above max_scale {hi}")
    step = _number(raw, "step_s", where, default=60.0)
    names = _names(raw, where, known)
    shift = _range(raw, "shift_every_s", where) if "shift_every_s" in raw else None
    rng = np.random.default_rng(int(raw.get("seed", 0)))
    out, t, workload = [], 0.0, names[0]
    next_shift = rng.uniform(*shift) if shift else math.inf
    while t < duration:
        if t >= next_shift and len(names) > 1:
            workload = str(rng.choice([n for n in names if n != workload]))
            next_shift = t + rng.uniform(*shift)
        length = min(step, duration - t, max(next_shift - t, 1e-9) if shift else step)
        scale = lo + (hi - lo) * 0.5 * (1.0 - math.cos(2.0 * math.pi * (t + length / 2) / period))
        out.append((workload, length, scale))
        t += length
    return out


def _shifts(raw: dict, where: str, known: set[str]) -> list[tuple[str, float, float]]:
    duration = _number(raw, "duration_s", where)
    every = _range(raw, "every_s", where, default=[300, 600])
    scale = _range(raw, "load_scale", where, default=[0.3, 1.0])
    names = _names(raw, where, known)
    rng = np.random.default_rng(int(raw.get("seed", 0)))
    out, t, workload = [], 0.0, None
    while t < duration:
        choices = [n for n in names if n != workload] or names
        workload = str(rng.choice(choices))
        length = min(rng.uniform(*every), duration - t)
        out.append((workload, length, float(rng.uniform(*scale))))
        t += length
    return out


def parse(raw: Any, known: set[str], where: str = "scenario") -> list[tuple[str, float, float]]:
    """(workload, duration_s, load_scale) per step, from the scenario's parsed YAML."""
    if not isinstance(raw, dict) or not isinstance(raw.get("phases"), list) or not raw["phases"]:
        raise ValueError(f"{where}: needs a top-level `phases:` list with at least one phase or generator")
    unknown = sorted(set(raw) - {"phases", "description"})
    if unknown:
        raise ValueError(f"{where}.{unknown[0]}: unknown key (expected phases, description)")
    steps: list[tuple[str, float, float]] = []
    for i, item in enumerate(raw["phases"]):
        key = f"{where}.phases[{i}]"
        if not isinstance(item, dict):
            raise ValueError(f"{key}: expected a mapping, got {type(item).__name__}")
        generator = [g for g in GENERATORS if g in item]
        if generator and len(item) == 1:
            body = item[generator[0]]
            if not isinstance(body, dict):
                raise ValueError(f"{key}.{generator[0]}: expected a mapping of its settings")
            sub = f"{key}.{generator[0]}"
            if generator[0] == "diurnal":
                steps += _diurnal(body, sub, known)
            elif generator[0] == "shifts":
                steps += _shifts(body, sub, known)
            else:
                steps.append(_phase(body, sub, known))
        else:
            steps.append(_phase(item, key, known))
    return steps


def load_class(scale: float, levels) -> float:
    """The load level a scale is simulated at: the nearest of `levels` on a log scale."""
    levels = np.asarray(levels, float)
    return float(levels[np.argmin(np.abs(np.log(levels) - math.log(max(scale, 1e-6))))])


def expand(steps: list[tuple[str, float, float]], levels, duration_s: float | None = None) -> list[Segment]:
    """Segments in time order, cut at `duration_s` (the scenario repeats when it is shorter).
    A segment starts a shift when its workload or its load level differs from the one before."""
    total = sum(d for _, d, _ in steps)
    end = total if duration_s is None else float(duration_s)
    out: list[Segment] = []
    t = 0.0
    while t < end - 1e-9:
        for workload, length, scale in steps:
            if t >= end - 1e-9:
                break
            length = min(length, end - t)
            level = load_class(scale, levels)
            prev = out[-1] if out else None
            shift = prev is None or prev.workload != workload or load_class(prev.load_scale, levels) != level
            if prev is not None and not shift and prev.load_scale == scale:
                out[-1] = Segment(prev.start_s, prev.duration_s + length, workload, scale, prev.shift)
            else:
                out.append(Segment(t, length, workload, scale, shift))
            t += length
    return out


def load_scenario(path: str | Path, known: set[str]) -> list[tuple[str, float, float]]:
    from dpdktune.config import load_yaml_file

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--scenario: {path} is not a file")
    return parse(load_yaml_file(path), known, where=f"scenario {path.name}")
