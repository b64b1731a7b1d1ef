"""Traffic workloads: the catalogue in config/workloads.yaml, a config's own definitions
(`workloads_file`, `workload_defs`, pcap traces among them) and a parametric generator."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from dpdktune.paths import project_file

CATALOGUE = "config/workloads.yaml"

ARRIVAL_PROCESSES = ("cbr", "poisson", "onoff", "mmpp")
#: the fields of a workload entry (config/workloads.yaml, workloads_file, workload_defs)
FIELDS = (
    "description",
    "sizes",
    "size_weights",
    "offered_mpps",
    "line_fraction",
    "arrival",
    "flows",
    "zipf_s",
    "app_cycles",
    "direction",
    "tags",
)
#: the fields of an entry made from a pcap trace; the rest is measured on the trace
TRACE_FIELDS = ("pcap", "description", "app_cycles", "direction", "tags", "size_bins")


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
    #: the pcap this workload was measured from (absolute path), and its content's sha256
    trace: str | None = None
    trace_sha256: str | None = None

    @property
    def mean_size(self) -> float:
        w = np.asarray(self.size_weights, float)
        return float(np.dot(self.sizes, w / w.sum()))


def _parse(name: str, raw: dict[str, Any], where: str = "workloads") -> Workload:
    """One entry; errors start with `where.name.field`."""
    if not isinstance(raw, dict):
        raise ValueError(f"{where}.{name}: expected a mapping of workload fields, got {type(raw).__name__}")
    if "pcap" in raw:
        from dpdktune.traces import trace_workload

        unknown = sorted(set(raw) - set(TRACE_FIELDS))
        if unknown:
            raise ValueError(
                f"{where}.{name}.{unknown[0]}: not a field of a pcap workload "
                f"(they are {list(TRACE_FIELDS)}; the rest is measured on the trace)"
            )
        return trace_workload(name, raw, where)
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise ValueError(f"{where}.{name}.{unknown[0]}: unknown workload field (known: {list(FIELDS)} or pcap)")
    for key in ("sizes", "flows"):
        if key not in raw:
            raise ValueError(f"{where}.{name}.{key}: required")
    bad_arrival = sorted(set(raw.get("arrival") or {}) - {f.name for f in fields(Arrival)})
    if bad_arrival:
        raise ValueError(
            f"{where}.{name}.arrival.{bad_arrival[0]}: unknown arrival field "
            f"(known: {[f.name for f in fields(Arrival)]})"
        )
    key = f"{where}.{name}"
    arrival_raw = raw.get("arrival") or {}
    arrival = Arrival(
        process=_typed(arrival_raw.get("process", "poisson"), str, f"{key}.arrival.process"),
        on_us=_number(arrival_raw.get("on_us", 0.0), f"{key}.arrival.on_us"),
        off_us=_number(arrival_raw.get("off_us", 0.0), f"{key}.arrival.off_us"),
        mmpp_rate_factors=_numbers(arrival_raw.get("mmpp_rate_factors", []), f"{key}.arrival.mmpp_rate_factors"),
        mmpp_sojourn_us=_numbers(arrival_raw.get("mmpp_sojourn_us", []), f"{key}.arrival.mmpp_sojourn_us"),
    )
    sizes = _numbers(raw["sizes"], f"{key}.sizes", int)
    offered = raw.get("offered_mpps")
    workload = Workload(
        name=name,
        description=_typed(raw.get("description", ""), str, f"{key}.description"),
        sizes=sizes,
        size_weights=_numbers(raw.get("size_weights", [1.0] * len(sizes)), f"{key}.size_weights"),
        offered_mpps=None if offered is None else _number(offered, f"{key}.offered_mpps"),
        line_fraction=_number(raw.get("line_fraction", 1.0), f"{key}.line_fraction"),
        arrival=arrival,
        flows=_integer(raw["flows"], f"{key}.flows"),
        zipf_s=_number(raw.get("zipf_s", 0.0), f"{key}.zipf_s"),
        app_cycles=_number(raw.get("app_cycles", 0.0), f"{key}.app_cycles"),
        direction=_typed(raw.get("direction", "uni"), str, f"{key}.direction"),
        tags=tuple(str(t) for t in _typed(raw.get("tags", []), list, f"{key}.tags")),
    )
    check(workload, where)
    return workload


def _typed(value: Any, kind: type, key: str) -> Any:
    if not isinstance(value, kind):
        raise ValueError(f"{key}: expected {kind.__name__}, got {value!r}")
    return value


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key}: expected a number, got {value!r}")
    return float(value)


def _integer(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key}: expected an integer, got {value!r}")
    return value


def _numbers(value: Any, key: str, kind: type = float) -> tuple:
    if not isinstance(value, list):
        raise ValueError(f"{key}: expected a list, got {value!r}")
    convert = _integer if kind is int else _number
    return tuple(convert(v, f"{key}.{i}") for i, v in enumerate(value))


def check(workload: Workload, where: str = "workloads") -> None:
    """The limits a schema cannot state for a workload, each error naming its field."""
    key = f"{where}.{workload.name}"
    if workload.arrival.process not in ARRIVAL_PROCESSES:
        raise ValueError(f"{key}.arrival.process: {workload.arrival.process!r} not in {ARRIVAL_PROCESSES}")
    if workload.arrival.process == "onoff" and workload.arrival.on_us <= 0:
        raise ValueError(f"{key}.arrival.on_us: must be > 0 for process onoff")
    if workload.arrival.process == "mmpp":
        a = workload.arrival
        if len(a.mmpp_rate_factors) < 2 or len(a.mmpp_rate_factors) != len(a.mmpp_sojourn_us):
            raise ValueError(f"{key}.arrival.mmpp_rate_factors: need >= 2 states, as many as mmpp_sojourn_us")
    if not workload.sizes:
        raise ValueError(f"{key}.sizes: needs at least one frame size")
    if len(workload.sizes) != len(workload.size_weights):
        raise ValueError(f"{key}.size_weights: {len(workload.size_weights)} weights for {len(workload.sizes)} sizes")
    if any(w < 0 for w in workload.size_weights) or sum(workload.size_weights) <= 0:
        raise ValueError(f"{key}.size_weights: must be >= 0 with a positive sum")
    if any(not 60 <= s <= 9018 for s in workload.sizes):
        raise ValueError(f"{key}.sizes: frame sizes must be within 60..9018 bytes")
    if workload.offered_mpps is not None and not (workload.offered_mpps > 0 and np.isfinite(workload.offered_mpps)):
        raise ValueError(f"{key}.offered_mpps: must be a finite number > 0, got {workload.offered_mpps!r}")
    if not 0 < workload.line_fraction <= 1:
        raise ValueError(f"{key}.line_fraction: must be within (0, 1], got {workload.line_fraction!r}")
    if workload.flows < 1:
        raise ValueError(f"{key}.flows: must be >= 1, got {workload.flows}")
    for name in ("zipf_s", "app_cycles"):
        value = getattr(workload, name)
        if not (value >= 0 and np.isfinite(value)):
            raise ValueError(f"{key}.{name}: must be a finite number >= 0, got {value!r}")
    if workload.direction not in ("uni", "bidir"):
        raise ValueError(f"{key}.direction: {workload.direction!r} not in ('uni', 'bidir')")


def load_catalogue(path: str | Path | None = None) -> dict[str, Workload]:
    """The workloads of a file shaped like config/workloads.yaml (default: the project's)."""
    path = project_file(CATALOGUE) if path is None else Path(path)
    return _load_file(path, "workloads")


def _load_file(path: Path, where: str) -> dict[str, Workload]:
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ValueError(f"{where}: cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ValueError(f"{where}: {path}{line} is not valid YAML") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("workloads"), dict):
        raise ValueError(f"{where}: {path} must hold a mapping `workloads:` of name -> fields")
    prefix = "workloads" if where == "workloads" else f"{where} {path}: workloads"
    return {str(name): _parse(str(name), spec, prefix) for name, spec in raw["workloads"].items()}


def config_catalogue(config: dict[str, Any]) -> dict[str, Workload]:
    """Every workload a config can name: the catalogue, its `workloads_file`, its `workload_defs`.

    A name defined twice is an error, not an override, so no definition hides another."""
    catalogue = load_catalogue()
    sources = {name: "config/workloads.yaml" for name in catalogue}
    own: list[tuple[str, dict[str, Workload]]] = []
    if config.get("workloads_file"):
        own.append(("workloads_file", _load_file(Path(config["workloads_file"]), "workloads_file")))
    defs = config.get("workload_defs") or {}
    if not isinstance(defs, dict):
        raise ValueError("workload_defs: expected a mapping of name -> workload fields")
    own.append(("workload_defs", {str(n): _parse(str(n), spec, "workload_defs") for n, spec in defs.items()}))
    for where, entries in own:
        for name, workload in entries.items():
            if name in sources:
                raise ValueError(f"{where}.{name}: already defined in {sources[name]}; pick another name")
            sources[name] = where
            catalogue[name] = workload
    return catalogue


def workloads_of(config: dict[str, Any]) -> list[Workload]:
    """The workloads a config's `workloads:` names (or generates), with its own definitions."""
    if isinstance(config["workloads"], dict):
        return resolve(config["workloads"])
    return resolve(config["workloads"], catalogue=config_catalogue(config))


def definitions_digest(workloads: list[Workload]) -> str:
    """A hash of what each workload's name stands for: every traffic field, a trace's content."""
    canonical = repr([(w.name, _parameters(w)) for w in workloads])
    return hashlib.sha256(canonical.encode()).hexdigest()


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
    return (
        workload.sizes,
        workload.size_weights,
        workload.offered_mpps,
        workload.line_fraction,
        workload.arrival,
        workload.flows,
        workload.zipf_s,
        workload.app_cycles,
        workload.direction,
        workload.trace_sha256,
    )


def resolve(
    spec: list[str] | dict[str, Any], path: str | Path | None = None, catalogue: dict[str, Workload] | None = None
) -> list[Workload]:
    """The config's `workloads` value: a list of names, or {generate: {count, seed}}.

    Names are looked up in `catalogue` (default: the catalogue file at `path`); a config's
    own definitions come in through `workloads_of`."""
    if isinstance(spec, dict):
        gen = spec["generate"]
        return generate(int(gen["count"]), int(gen.get("seed", 0)))
    if catalogue is None:
        catalogue = load_catalogue(path)
    unknown = [n for n in spec if n not in catalogue]
    if unknown:
        raise ValueError(f"workloads: unknown workload names {unknown}; known: {sorted(catalogue)}")
    return [catalogue[n] for n in spec]
