"""Traffic workloads: the named patterns in config/workloads.yaml and a parametric generator."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

WORKLOADS_FILE = Path(__file__).resolve().parents[2] / "config" / "workloads.yaml"

ARRIVAL_PROCESSES = ("cbr", "poisson", "onoff", "mmpp")


@dataclass(frozen=True)
class Arrival:
    """How packets arrive. `onoff`: peak rate during ON, silence during OFF, same mean rate.
    `mmpp`: a Markov-modulated Poisson process over states with rate factors and mean sojourns."""

    process: str = "poisson"
    on_us: float = 0.0
    off_us: float = 0.0
    mmpp_rate_factors: tuple[float, ...] = ()
    mmpp_sojourn_us: tuple[float, ...] = ()


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    #: frame sizes in bytes (incl. FCS) and their weights
    sizes: tuple[int, ...]
    size_weights: tuple[float, ...]
    #: mean offered rate: absolute Mpps over all receiving ports, or if None `line_fraction` of
    #: the line rate at the workload's mean frame size (per receiving port)
    offered_mpps: float | None
    line_fraction: float
    arrival: Arrival
    flows: int
    zipf_s: float
    app_cycles: float
    direction: str = "uni"  # "uni" (port0 rx -> port1 tx) or "bidir"
    tags: tuple[str, ...] = field(default=(), compare=False)

    @property
    def mean_size(self) -> float:
        w = np.asarray(self.size_weights, float)
        return float(np.dot(self.sizes, w / w.sum()))


def _parse(name: str, raw: dict[str, Any]) -> Workload:
    try:
        arrival = Arrival(**{k: tuple(v) if isinstance(v, list) else v
                             for k, v in (raw.get("arrival") or {}).items()})
        sizes = raw["sizes"]
        workload = Workload(
            name=name,
            description=raw.get("description", ""),
            sizes=tuple(int(s) for s in sizes),
            size_weights=tuple(float(w) for w in raw.get("size_weights", [1.0] * len(sizes))),
            offered_mpps=raw.get("offered_mpps"),
            line_fraction=float(raw.get("line_fraction", 1.0)),
            arrival=arrival,
            flows=int(raw["flows"]),
            zipf_s=float(raw.get("zipf_s", 0.0)),
            app_cycles=float(raw.get("app_cycles", 0.0)),
            direction=raw.get("direction", "uni"),
            tags=tuple(raw.get("tags", ())),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"workloads.{name}: {exc}") from exc
    if arrival.process not in ARRIVAL_PROCESSES:
        raise ValueError(f"workloads.{name}.arrival.process: {arrival.process!r} not in {ARRIVAL_PROCESSES}")
    if len(workload.sizes) != len(workload.size_weights):
        raise ValueError(f"workloads.{name}: sizes and size_weights differ in length")
    if any(not 60 <= s <= 9018 for s in workload.sizes):
        raise ValueError(f"workloads.{name}.sizes: frame sizes must be within 60..9018 bytes")
    if workload.direction not in ("uni", "bidir"):
        raise ValueError(f"workloads.{name}.direction: {workload.direction!r} not in ('uni', 'bidir')")
    return workload


def load_catalogue(path: Path = WORKLOADS_FILE) -> dict[str, Workload]:
    raw = yaml.safe_load(Path(path).read_text())
    return {name: _parse(name, spec) for name, spec in raw["workloads"].items()}


def generate(count: int, seed: int) -> list[Workload]:
    """`count` distinct parametric workloads (plan: "50+ workloads"), reproducible from `seed`.

    Each axis the physics reacts to is drawn independently: size mix, load, arrival
    burstiness, flow count and skew, and per-packet application work. A draw whose
    parameters (everything but the name) repeat an earlier one is drawn again, so the
    workloads are distinct, not only their names.
    """
    rng = np.random.default_rng(seed)
    size_menu = [(64,), (128,), (256,), (512,), (1024,), (1500,), (64, 576, 1500), (64, 1500)]
    weight_menu = {1: [(1.0,)], 2: [(0.5, 0.5), (0.8, 0.2), (0.3, 0.7)], 3: [(7.0, 4.0, 1.0)]}
    out: list[Workload] = []
    seen: set[tuple] = set()
    draws = 0
    while len(out) < count:
        draws += 1
        if draws > 100 * count + 1000:
            raise ValueError(f"workloads.generate.count: cannot draw {count} distinct workloads")
        i = len(out)
        sizes = size_menu[rng.integers(len(size_menu))]
        weights = weight_menu[len(sizes)][rng.integers(len(weight_menu[len(sizes)]))]
        process = ARRIVAL_PROCESSES[rng.integers(len(ARRIVAL_PROCESSES))]
        on_us = float(rng.choice([50, 200, 1000]))
        arrival = Arrival(
            process=process,
            on_us=on_us if process == "onoff" else 0.0,
            off_us=on_us * float(rng.choice([1, 3, 9])) if process == "onoff" else 0.0,
            mmpp_rate_factors=(0.3, 1.0, 3.0) if process == "mmpp" else (),
            mmpp_sojourn_us=(500.0, 300.0, 100.0) if process == "mmpp" else (),
        )
        candidate = Workload(
            name=f"gen{i:03d}",
            description=f"generated (seed {seed}) #{i}",
            sizes=tuple(sizes),
            size_weights=tuple(weights),
            offered_mpps=None,
            line_fraction=float(rng.choice([0.01, 0.05, 0.2, 0.5, 0.8, 1.0])),
            arrival=arrival,
            flows=int(rng.choice([1, 2, 4, 16, 256, 65536])),
            zipf_s=float(rng.choice([0.0, 0.8, 1.2])),
            app_cycles=float(rng.choice([0, 20, 100, 400, 1500])),
            direction=str(rng.choice(["uni", "bidir"])),
            tags=("generated",),
        )
        key = _parameters(candidate)
        if key not in seen:
            seen.add(key)
            out.append(candidate)
    return out


def _parameters(workload: Workload) -> tuple:
    """Everything that defines a workload's traffic, without its name and description."""
    return (workload.sizes, workload.size_weights, workload.offered_mpps, workload.line_fraction,
            workload.arrival, workload.flows, workload.zipf_s, workload.app_cycles, workload.direction)


def resolve(spec: list[str] | dict[str, Any], path: Path = WORKLOADS_FILE) -> list[Workload]:
    """The config's `workloads` value: a list of catalogue names, or {generate: {count, seed}}."""
    if isinstance(spec, dict):
        gen = spec["generate"]
        return generate(int(gen["count"]), int(gen.get("seed", 0)))
    catalogue = load_catalogue(path)
    unknown = [n for n in spec if n not in catalogue]
    if unknown:
        raise ValueError(f"workloads: unknown workload names {unknown}; known: {sorted(catalogue)}")
    return [catalogue[n] for n in spec]
