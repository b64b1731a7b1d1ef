"""`dpdktune run --backend local`: the two-tier runtime driving the real l2fwd_tune on net_null.

Fast tier: the app itself. Once per `decision_interval_s` its main lcore computes the data-plane
features from its own counters, calls fp_decide on the tree it has published, applies burst and
active workers at once and ring sizes through a port restart, and reports the window: the
counters, the features, the config that ran, the decision. Each report is one timeline row;
its objective is computed from the real counters (forwarded Mpps, drops) with the same
definition the campaign uses (dpdktune.objective). Nothing measures latency here: the latency
columns are NaN, and objectives that need latency are refused.

Slow tier (policy `adaptive`), every `distill_every_s` of the run, on what the app measured:
there is no twin of this machine, so a candidate is chosen from measurements, by local search
over the grid. The incumbent is the config with the best mean measured objective (over
`shadow_window_s`, at least MIN_INTERVALS intervals outside restarts); the candidate is its
first neighbour (one grid step of one knob, run-time knobs before rings, never more cores than
the app has workers) not yet measured, or the incumbent itself once all are. A candidate
other than what the live tree decides is fitted as a tree (on the measured feature rows, the
candidate as label), compiled to an .fpt and published in the running app (swap). Shadow
validation needs a model of the traffic; here the check is live probation: `rollback_k`
intervals in a row below the previous config's measured mean (by more than
`rollback_tolerance`) within `probation_s` swap the previous tree back (rollback). A cycle
that fails publishes the safe default (fallback). A cycle costs milliseconds (no replay on a
twin), so it runs between two reports in the main thread; the reports queue meanwhile.

Traffic: net_null offers packets as fast as the workers poll, so the scenario's load phases are
not replayed (summary.json says so); its phases only label the timeline rows. The run is real
time: it does not resume from checkpoints (a rerun starts afresh in the same folder).
"""

from __future__ import annotations

import json
import math
import signal
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dpdktune.runtime.local_app import AppError, LocalApp, build_app
from dpdktune.sections import section

#: intervals a config needs before its mean counts as measured (one has no spread at all)
MIN_INTERVALS = 2
#: objectives computable from the app's counters (the others need latency)
LOCAL_OBJECTIVES = ("throughput_mpps", "zero_loss_mpps")
LOCAL_POLICIES = ("adaptive", "static")
FLT_MAX = float(np.finfo(np.float32).max)
_LATENCY = ("latency_p50_us", "latency_p99_us", "latency_p999_us")


def one_leaf_table(
    features, grid, action: int, safe: int, X: np.ndarray, method: str, inputs: dict[str, str]
) -> dict[str, Any]:
    """tree.json of a tree that decides `action` everywhere (NaN or inf inputs: the safe default).

    Fitted on the measured rows X. With one traffic regime (net_null) every row has the same
    label, so the tree is one leaf; no leaf box and no range gate, because the candidate's own
    features are, by construction, not among the rows measured under other configs."""
    from sklearn.tree import DecisionTreeClassifier

    from dpdktune.treefile import from_sklearn

    X = np.nan_to_num(np.asarray(X, np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    tree = DecisionTreeClassifier(max_depth=1).fit(X, np.full(len(X), action))
    bounds = {"min": [-FLT_MAX] * len(features), "max": [FLT_MAX] * len(features)}
    return from_sklearn(tree, list(features), list(grid), bounds, None, safe, 0.0, method=method, inputs=inputs)


def neighbours(grid, index: int, workers: int) -> list[int]:
    """Configs one grid step of one knob from `index`: cores and burst (no restart) first, then
    rings; none with more cores than the app has workers (the app would clamp them)."""
    values = {k: sorted({getattr(g, k) for g in grid}) for k in ("rx_desc", "tx_desc", "cores", "burst")}
    position = {g: i for i, g in enumerate(grid)}
    here = grid[index]
    out = []
    for knob in ("cores", "burst", "rx_desc", "tx_desc"):
        axis = values[knob]
        at = axis.index(getattr(here, knob))
        for step in (-1, 1):
            if 0 <= at + step < len(axis):
                other = replace(here, **{knob: axis[at + step]})
                if other in position and other.cores <= workers:
                    out.append(position[other])
    return out


class LocalSlowTier:
    """Measurements of the running app, and the candidate chosen from them."""

    def __init__(self, grid, features, safe: int, settings: dict[str, Any], workers: int, out_dir: Path):
        self.grid, self.features, self.safe, self.s = grid, tuple(features), safe, settings
        self.workers = workers
        self.out_dir = out_dir
        self.rows: list[tuple[float, int, np.ndarray, float]] = []  # (t, config that ran, features, objective)

    def record(self, t: float, config: int, x: np.ndarray, value: float, restart: bool) -> None:
        if config >= 0 and not restart and math.isfinite(value):
            self.rows.append((t, config, x, value))
        del self.rows[: -int(self.s["buffer_intervals"])]

    def means(self, now: float, before: float | None = None) -> dict[int, tuple[float, int]]:
        """Mean measured objective and interval count per config over the window."""
        per: dict[int, list[float]] = {}
        for t, c, _, v in self.rows:
            if t >= now - float(self.s["shadow_window_s"]) and (before is None or t < before):
                per.setdefault(c, []).append(v)
        return {c: (float(np.mean(v)), len(v)) for c, v in per.items()}

    def choose(self, now: float, live_action: int) -> tuple[int, str, dict[int, tuple[float, int]]]:
        """(candidate, why, the means it was chosen on)."""
        means = self.means(now)
        measured = {c: m for c, (m, n) in means.items() if n >= MIN_INTERVALS}
        incumbent = max(measured, key=measured.get) if measured else live_action
        for c in neighbours(self.grid, incumbent, self.workers):
            if c not in measured:
                return c, f"explore: a neighbour of the best measured config {incumbent}, not measured yet", means
        return incumbent, f"exploit: config {incumbent} has the best measured mean", means

    def candidate_tree(self, version: int, action: int, why: str) -> tuple[Path, dict[str, Any]]:
        from dpdktune.codegen.pack import write_fpt
        from dpdktune.treefile import write_tree_json
        from dpdktune.treelayout import compile_table

        X = np.array([r[2] for r in self.rows]) if self.rows else np.zeros((2, len(self.features)))
        table = one_leaf_table(
            self.features, self.grid, action, self.safe, X, "runtime-local", {"rows": str(len(X)), "why": why}
        )
        trees = self.out_dir / "trees"
        trees.mkdir(parents=True, exist_ok=True)
        write_tree_json(table, trees / f"v{version}.json")
        return write_fpt(compile_table(table), trees / f"v{version}.fpt"), table


def _rss_mb() -> float:
    import resource

    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20
    except (OSError, IndexError, ValueError):
        return float("nan")


class LocalRun:
    def __init__(
        self,
        config: dict[str, Any],
        scenario: str | Path,
        duration_s: float,
        out: str | Path,
        policy: str = "adaptive",
        seed: int | None = None,
        tree: str | None = None,
    ):
        from dpdktune.fingerprint import DATAPLANE_FEATURES, default_knobs, feature_names
        from dpdktune.knobs import expand_grid
        from dpdktune.runtime.scenario import expand, load_scenario
        from dpdktune.runtime.settings import runtime_settings
        from dpdktune.workloads import config_catalogue

        if policy not in LOCAL_POLICIES:
            raise ValueError(
                f"--policy: {policy!r} on --backend local must be one of {', '.join(LOCAL_POLICIES)} "
                f"(the others read the simulator's twin)"
            )
        if not duration_s > 0:
            raise ValueError(f"--duration-s: must be > 0, got {duration_s}")
        if config["objective"] not in LOCAL_OBJECTIVES:
            raise ValueError(
                f"objective: {config['objective']} needs latency, which l2fwd_tune does not measure; "
                f"on --backend local use one of {', '.join(LOCAL_OBJECTIVES)}"
            )
        self.features = feature_names(config)
        missing = [f for f in self.features if f not in DATAPLANE_FEATURES]
        if missing:
            raise ValueError(
                f"features: l2fwd_tune does not measure {missing[0]}; on --backend local use features: dataplane"
            )
        self.config, self.policy, self.tree_arg = config, policy, tree
        self.s = runtime_settings(config)
        self.seed = int(config["seed"] if seed is None else seed)
        self.out = Path(out)
        self.duration_s = float(duration_s)
        self.interval = float(self.s["decision_interval_s"])
        self.n = int(math.ceil(self.duration_s / self.interval - 1e-9))
        self.grid = expand_grid(config["grid"])
        self.safe = self.grid.index(default_knobs(config))
        local = section(config, "local")
        self.workers, self.memory_mb = local.runtime_workers, local.memory_mb
        self.cc = section(config, "codegen").cc
        self.levels = [float(v) for v in self.s["load_levels"]]
        self.scenario = str(scenario)
        self.segments = expand(load_scenario(scenario, set(config_catalogue(config))), self.levels, duration_s)

    # -- set-up ----------------------------------------------------------------------------------------
    def _build(self) -> Path:
        table = one_leaf_table(
            self.features,
            self.grid,
            self.safe,
            self.safe,
            np.zeros((2, len(self.features))),
            "safe-default",
            {"safe_default": "the config's default_config (local)"},
        )
        return build_app(table, self.out / "app", self.cc)

    def _initial_tree(self) -> tuple[Path | None, int]:
        """--tree's tree.json compiled to v1.fpt (published at start), else None (the safe default)."""
        if not self.tree_arg or self.tree_arg == "none":
            return None, 0
        from dpdktune.codegen.pack import write_fpt
        from dpdktune.treefile import read_tree_json, write_tree_json
        from dpdktune.treelayout import compile_table

        table = read_tree_json(self.tree_arg)
        if tuple(table["features"]) != tuple(self.features) or len(table["configs"]) != len(self.grid):
            raise ValueError(f"--tree: {self.tree_arg} reads other features or another config grid than this config's")
        trees = self.out / "trees"
        trees.mkdir(parents=True, exist_ok=True)
        write_tree_json(table, trees / "v1.json")
        return write_fpt(compile_table(table), trees / "v1.fpt"), 1

    # -- the run ---------------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        self.out.mkdir(parents=True, exist_ok=True)
        for stale in ("timeline.parquet", "summary.json"):
            (self.out / stale).unlink(missing_ok=True)
        app_path = self._build()
        self.app = LocalApp(
            app_path, self.out, self.workers, self.interval, self.duration_s + 10 * self.interval + 30, self.memory_mb
        )
        self.rows: list[dict[str, Any]] = []
        self.st: dict[str, Any] = {
            "swaps": 0,
            "swap_failures": 0,
            "rollbacks": 0,
            "fallbacks": 0,
            "kept": 0,
            "cycles": 0,
            "slow_cpu_s": 0.0,
            "swap_events": [],
            "stopped_by": None,
            "slow_tier_errors": 0,
        }
        previous = None
        if threading.current_thread() is threading.main_thread():  # SIGTERM stops the app too

            def on_term(signum, frame):
                raise KeyboardInterrupt("SIGTERM")

            previous = signal.signal(signal.SIGTERM, on_term)
        wall0 = time.perf_counter()
        completed = False
        try:
            with self.app:
                self._loop()
            completed = True
        except KeyboardInterrupt:
            self.st["stopped_by"] = "interrupt"
            raise
        except Exception as exc:
            self.st["stopped_by"] = f"{type(exc).__name__}: {exc}"[:300]
            raise
        finally:
            self.app.stop()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
            self.st["wall_s"] = time.perf_counter() - wall0
            self.summary = self._write(completed)
        return self.summary

    def _segment(self, t: float):
        seg = self.segments[0]
        for s in self.segments:
            if s.start_s <= t + 1e-9:
                seg = s
        return seg

    def _loop(self) -> None:
        from dpdktune import objective as objective_lib
        from dpdktune.runtime.scenario import load_class

        app, s, st = self.app, self.s, self.st
        slow = (
            LocalSlowTier(self.grid, self.features, self.safe, s, self.workers, self.out)
            if self.policy == "adaptive"
            else None
        )
        fpt, version = self._initial_tree()
        live = {"fpt": fpt, "version": version, "action": self.safe}
        prev: dict[str, Any] | None = None
        probation = {"until": -1.0, "ref": None, "below": 0}
        events: list[str] = []
        # the app's swap count -> the tree version it published: the interval lines carry the count at
        # each tick, so a row names the tree that decided the config it ran even when the reports lag
        by_count = {0: 0}
        decided_by = 0  # the first window runs the safe default the app starts on
        next_cycle = float(s["distill_every_s"])
        last_seg, resizes0, rss = None, 0, _rss_mb()
        first_timeout = 120.0 + 5 * self.interval  # EAL start-up on a busy machine
        while len(self.rows) < self.n:
            msg = app.next_interval(first_timeout if not self.rows else 10 * self.interval + 30)
            if msg is None:
                raise AppError(f"local: l2fwd_tune exited early (code {app.proc.poll()}; {app.log_tail()})")
            if not self.rows and fpt is not None:  # the app is up: publish --tree's tree
                answer = app.swap(fpt)
                if not answer["ok"]:
                    raise AppError(f"local: the app refused --tree: {answer['error']}")
                st["swaps"] += 1
                by_count[int(answer["swaps"])] = version
                events.append("swap")
            t = float(msg["t_s"])
            dt = float(msg["dt_s"])
            ran = int(msg["ran"])
            rx, tx, imissed = int(msg["rx"]), int(msg["tx"]), int(msg["imissed"])
            dropped = int(msg["dropped"])
            offered = rx + imissed
            drop_rate = (dropped + imissed) / offered if offered else float("nan")
            metrics = {
                "throughput_mpps": tx / dt / 1e6,
                "offered_mpps": offered / dt / 1e6,
                "drop_rate": drop_rate,
                "latency_p99_us": float("nan"),
            }
            value = float(
                objective_lib.values(
                    self.config["objective"],
                    metrics,
                    msg["active_workers"],
                    msg["rx_desc"],
                    msg["tx_desc"],
                    self.config,
                )
            )
            restart = int(msg["ring_resizes"]) > resizes0  # the ports restarted inside this window
            resizes0 = int(msg["ring_resizes"])
            x = np.array(
                [np.nan if msg["features"].get(f) is None else float(msg["features"][f]) for f in self.features]
            )
            seg = self._segment(t)
            knobs = self.grid[ran] if 0 <= ran < len(self.grid) else None
            if slow is not None:
                slow.record(t, ran, x, value, restart)
                # live probation after a swap: the candidate's measurements against the previous config's
                if (
                    prev is not None
                    and t < probation["until"]
                    and probation["ref"]
                    and not restart
                    and ran == live["action"]
                ):
                    low = value < probation["ref"] * (1 - float(s["rollback_tolerance"]))
                    probation["below"] = probation["below"] + 1 if low else 0
                    if probation["below"] >= int(s["rollback_k"]):
                        answer = app.swap(prev["fpt"])
                        if answer["ok"]:
                            st["rollbacks"] += 1
                            by_count[int(answer["swaps"])] = prev["version"]
                            events.append("rollback")
                            st["swap_events"].append(
                                {
                                    "t_s": t,
                                    "kind": "rollback",
                                    "version": prev["version"],
                                    "config": prev["action"],
                                    "answer_ms": answer["answer_ms"],
                                }
                            )
                            live, prev = prev, None
                            probation = {"until": -1.0, "ref": None, "below": 0}
                        else:
                            st["swap_failures"] += 1
            self.rows.append(
                {
                    "t_s": t,
                    "dt_s": dt,
                    "workload": seg.workload,
                    "load_scale": seg.load_scale,
                    "load_level": load_class(seg.load_scale, self.levels),
                    "load_replayed": False,
                    "shift": bool(seg.shift and seg is not last_seg),
                    "config": ran,
                    "rx_desc": int(msg["rx_desc"]),
                    "tx_desc": int(msg["tx_desc"]),
                    "cores": int(msg["active_workers"]),
                    "burst": int(msg["burst"]),
                    "config_cores": knobs.cores if knobs else -1,
                    "decision": int(msg["decision"]),
                    "safe_default": self.safe,
                    "restart": restart,
                    "objective": value,
                    "oracle_objective": float("nan"),
                    "safe_objective": float("nan"),
                    "tree_version": decided_by,
                    "events": ",".join(events),
                    "rss_mb": rss,
                    "throughput_mpps": metrics["throughput_mpps"],
                    "offered_mpps": metrics["offered_mpps"],
                    "drop_rate": drop_rate,
                    **{k: float("nan") for k in _LATENCY},
                    "rx": rx,
                    "tx": tx,
                    "dropped": dropped,
                    "imissed": imissed,
                    **{f"f_{name}": float(v) for name, v in zip(self.features, x)},
                }
            )
            events = []
            last_seg = seg
            decided_by = by_count[max(c for c in by_count if c <= int(msg["swaps"]))]
            if len(self.rows) % 30 == 0:
                rss = _rss_mb()
            # -- a slow-tier cycle, on its period
            if slow is not None and t >= next_cycle:
                next_cycle = t + float(s["distill_every_s"])
                cpu0 = time.thread_time()
                st["cycles"] += 1
                version = max(live["version"], prev["version"] if prev else 0, st.get("last_version", 0)) + 1
                try:
                    action, why, means = slow.choose(t, live["action"])
                    cand_fpt = None if action == live["action"] else slow.candidate_tree(version, action, why)[0]
                except Exception as exc:  # noqa: BLE001 - a failing slow tier means the safe default
                    st["slow_tier_errors"] += 1
                    st["last_slow_tier_error"] = repr(exc)[:300]
                    if live["version"] != 0:
                        answer = app.swap(None)
                        if answer["ok"]:
                            st["fallbacks"] += 1
                            by_count[int(answer["swaps"])] = 0
                            events.append("fallback")
                            live, prev = {"fpt": None, "version": 0, "action": self.safe}, None
                            probation = {"until": -1.0, "ref": None, "below": 0}
                    continue
                finally:
                    st["slow_cpu_s"] += time.thread_time() - cpu0
                if cand_fpt is None:
                    st["kept"] += 1
                    continue
                st["last_version"] = version
                answer = app.swap(cand_fpt)
                if not answer["ok"]:
                    st["swap_failures"] += 1
                    st["last_swap_error"] = answer["error"][:300]
                    continue
                st["swaps"] += 1
                by_count[int(answer["swaps"])] = version
                events.append("swap")
                st["swap_events"].append(
                    {
                        "t_s": t,
                        "kind": why.split(":")[0],
                        "version": version,
                        "config": action,
                        "why": why,
                        "answer_ms": answer["answer_ms"],
                        "means": {str(c): [round(m, 4), n] for c, (m, n) in sorted(means.items())},
                    }
                )
                ref = means.get(live["action"], (None, 0))
                prev = live
                live = {"fpt": cand_fpt, "version": version, "action": action}
                probation = {
                    "until": t + float(s["probation_s"]),
                    "ref": ref[0] if ref[1] >= MIN_INTERVALS else None,
                    "below": 0,
                }

    # -- outputs ---------------------------------------------------------------------------------------
    def _write(self, completed: bool) -> dict[str, Any]:
        from dpdktune.atomic import replacing, write_json

        frame = pd.DataFrame(self.rows)
        if len(frame):
            with replacing(self.out / "timeline.parquet") as tmp:
                frame.to_parquet(tmp, index=False)
        summary = self._summary(frame, completed)
        write_json(summary, self.out / "summary.json")
        return summary

    def _summary(self, frame: pd.DataFrame, completed: bool) -> dict[str, Any]:
        import resource

        st = self.st
        n = len(frame)
        ran = frame["config"].to_numpy() if n else np.array([], int)
        by_version = {str(v): float(g.objective.mean()) for v, g in frame.groupby("tree_version")} if n else {}
        by_config = (
            {
                str(c): {"intervals": len(g), "objective_mean": float(g.objective.mean())}
                for c, g in frame.groupby("config")
            }
            if n
            else {}
        )
        safe_rows = frame[frame.config == self.safe] if n else frame
        best = max((v["objective_mean"] for v in by_config.values()), default=0.0)
        applied_non_default = int(((ran >= 0) & (ran != self.safe)).sum()) if n else 0
        app_final = self.app.final or {}
        return {
            "backend": "local",
            "policy": self.policy,
            "completed": completed,
            "stopped_by": st["stopped_by"],
            "scenario": self.scenario,
            "duration_s": self.duration_s,
            "decision_interval_s": self.interval,
            "intervals": n,
            "objective": self.config["objective"],
            "objective_mean": float(frame.objective.mean()) if n else None,
            "objective_by_tree_version": by_version,
            "by_config": by_config,
            "safe_default": self.safe,
            "safe_default_config": self.grid[self.safe].as_dict(),
            "safe_default_objective_mean": float(safe_rows.objective.mean()) if len(safe_rows) else None,
            # ratios of means measured at different times on the same (unpaced) traffic, not an oracle
            "ratio_to_safe_default": float(frame.objective.mean() / safe_rows.objective.mean())
            if len(safe_rows) and safe_rows.objective.mean() > 0
            else None,
            "ratio_to_best_measured_config": float(frame.objective.mean() / best) if best else None,
            "applied_non_default_intervals": applied_non_default,
            "swaps": st["swaps"],
            "swap_failures": st["swap_failures"],
            "rollbacks": st["rollbacks"],
            "fallbacks": st["fallbacks"],
            "slow_tier_errors": st["slow_tier_errors"],
            "last_slow_tier_error": st.get("last_slow_tier_error"),
            "kept": st["kept"],
            "cycles": st["cycles"],
            "swap_events": st["swap_events"],
            "slow_cpu_s": st["slow_cpu_s"],
            "wall_s": st.get("wall_s"),
            "fraction_of_oracle": None,
            "oracle": "not measured on local: the best config of each interval would need every config run on the "
            "same traffic at once",
            "latency": "not measured: l2fwd_tune puts no timestamps on packets (latency columns are NaN)",
            "load_phases_replayed": False,
            "load": "net_null offers packets as fast as the workers poll (always saturated); the scenario's "
            "phases label the rows but their load and workload are not replayed",
            "shadow_validation": "live probation instead (no twin of this machine): rollback after rollback_k "
            "intervals below the previous config's measured mean",
            "app": {
                "path": str(self.app.app),
                "workers": self.workers,
                "returncode": self.app.returncode,
                "decisions": app_final.get("decisions"),
                "decide_ns_mean": app_final.get("decide_ns_mean"),
                "ring_resizes": app_final.get("ring_resizes"),
                "tx_mpps": app_final.get("tx_mpps"),
                "invalid_decisions": app_final.get("invalid_decisions"),
                "final": app_final,
            },
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def main_summary_line(summary: dict[str, Any]) -> str:
    keys = (
        "backend",
        "policy",
        "intervals",
        "objective_mean",
        "applied_non_default_intervals",
        "swaps",
        "rollbacks",
        "swap_failures",
    )
    return json.dumps({k: summary.get(k) for k in keys})
