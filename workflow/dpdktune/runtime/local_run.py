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
not replayed (summary.json says so); its phases only label the timeline rows.

Checkpoints: after each report the finished rows and the run's state (the slow tier's counters,
live and previous trees, probation, next cycle) are written atomically to timeline.parts/. A
rerun after a kill -9 keeps those rows, measures nothing twice, rebuilds the slow tier's
measurements from them, stops the killed run's app if it is still there (app.json), starts a
new app (its own EAL file prefix), republishes the tree that was live and runs only the
intervals left; run time continues from the last row. A rerun of a finished run runs nothing.
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dpdktune.runtime.app_driver import AppError
from dpdktune.runtime.local_app import LocalApp, build_app
from dpdktune.runtime.settings import segments_basis, settings_digest
from dpdktune.sections import section

#: intervals a config needs before its mean counts as measured (one has no spread at all)
MIN_INTERVALS = 2
#: objectives computable from the app's counters (the others need latency)
LOCAL_OBJECTIVES = ("throughput_mpps", "zero_loss_mpps")
LOCAL_POLICIES = ("adaptive", "static")
FLT_MAX = float(np.finfo(np.float32).max)
_LATENCY = ("latency_p50_us", "latency_p99_us", "latency_p999_us")
#: rows per timeline part: the open part is rewritten at each checkpoint, so this bounds that cost
PART_ROWS = 256
#: the parquet metadata key of a part that holds the run's state
STATE_KEY = b"dpdktune_state"


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


def _no_probation() -> dict[str, Any]:
    return {"until": -1.0, "ref": None, "below": 0}


class LocalRun:
    """The run on this machine; runtime/ssh_run.py's SshRun is the same run with the app on a DUT."""

    backend = "local"

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

        b = self.backend
        if policy not in LOCAL_POLICIES:
            raise ValueError(
                f"--policy: {policy!r} on --backend {b} must be one of {', '.join(LOCAL_POLICIES)} "
                f"(the others read the simulator's twin)"
            )
        if not duration_s > 0:
            raise ValueError(f"--duration-s: must be > 0, got {duration_s}")
        if config["objective"] not in LOCAL_OBJECTIVES:
            raise ValueError(
                f"objective: {config['objective']} needs latency, which l2fwd_tune does not measure; "
                f"on --backend {b} use one of {', '.join(LOCAL_OBJECTIVES)}"
            )
        self.features = feature_names(config)
        missing = [f for f in self.features if f not in DATAPLANE_FEATURES]
        if missing:
            raise ValueError(
                f"features: l2fwd_tune does not measure {missing[0]}; on --backend {b} use features: dataplane"
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
        self.app = None
        self.already_finished = False

    # -- where the app runs (SshRun overrides these) ---------------------------------------------------
    def _safe_table(self) -> dict[str, Any]:
        return one_leaf_table(
            self.features,
            self.grid,
            self.safe,
            self.safe,
            np.zeros((2, len(self.features))),
            "safe-default",
            {"safe_default": f"the config's default_config ({self.backend})"},
        )

    def _build(self) -> Path:
        return build_app(self._safe_table(), self.out / "app", self.cc)

    def _make_app(self, app_path: Path, duration_s: float):
        return LocalApp(app_path, self.out, self.workers, self.interval, duration_s, self.memory_mb)

    def _reap_stale(self, record: dict[str, Any]) -> bool:
        from dpdktune.runtime.local_app import reap_stale

        return reap_stale(record)

    def _where(self) -> dict[str, Any]:
        """What, besides the arguments, a checkpoint must match (the machine the app runs on)."""
        return {"workers": self.workers, "memory_mb": self.memory_mb}

    def _app_summary(self) -> dict[str, Any]:
        return {}

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

    # -- checkpoints -----------------------------------------------------------------------------------
    # The timeline goes to timeline.parts/part-NNNNNN.parquet, at most PART_ROWS rows each. After
    # each report (and the slow-tier cycle it triggered) the open part is rewritten, to a temp name
    # then renamed, with the run's state in its parquet metadata: rows and state change in one
    # rename, so a kill -9 at any moment leaves a checkpoint whose state matches its rows.
    def _args(self) -> dict[str, Any]:
        """What a checkpoint must match to be resumed: the arguments, the scenario and every setting
        the run depends on (a changed one is refused, never mixed in)."""
        c = self.config
        digest = settings_digest(
            self.s,
            c["grid"],
            c["objective"],
            c["default_config"],
            c.get("features"),
            self._where(),
            segments_basis(self.segments),
        )
        return {
            "backend": self.backend,
            "policy": self.policy,
            "seed": self.seed,
            "duration_s": self.duration_s,
            "n": self.n,
            "tree": self.tree_arg,
            "settings_sha256": digest,
        }

    def _parts(self) -> list[Path]:
        return sorted((self.out / "timeline.parts").glob("part-*.parquet"))

    def _checkpoint(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from dpdktune.atomic import replacing

        st = self.st
        st["k"] = self.k
        st["saved_at_unix"] = time.time()
        st["wall_s"] = self.wall_before + time.perf_counter() - self.wall0
        table = pa.Table.from_pandas(pd.DataFrame(self.part_rows), preserve_index=False)
        meta = {**(table.schema.metadata or {}), STATE_KEY: json.dumps(st).encode()}
        with replacing(self.out / "timeline.parts" / f"part-{self.part_index:06d}.parquet") as tmp:
            pq.write_table(table.replace_schema_metadata(meta), tmp)
        if len(self.part_rows) >= PART_ROWS:
            self.part_index, self.part_rows = self.part_index + 1, []

    def _load_state(self) -> dict[str, Any] | None:
        """The newest checkpoint's state (None: no checkpoint), checked against this run's arguments."""
        import pyarrow.parquet as pq

        parts = self._parts()
        if not parts:
            return None
        try:
            st = json.loads(pq.read_schema(parts[-1]).metadata[STATE_KEY])
            rows = sum(pq.read_metadata(p).num_rows for p in parts)
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"--out: {parts[-1]} is not a checkpoint of `dpdktune run` ({exc})") from None
        if st.get("args") != self._args():
            raise ValueError(
                f"--out: {self.out} holds a run with other arguments or settings ({st.get('args')}); use another folder"
            )
        if rows != st["k"]:
            raise ValueError(f"--out: {self.out}/timeline.parts holds {rows} rows, its checkpoint says {st['k']}")
        return st

    def _frame(self) -> pd.DataFrame:
        frames = [f for f in (pd.read_parquet(p) for p in self._parts()) if len(f)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def _fresh_state(self) -> dict[str, Any]:
        fpt, version = self._initial_tree()
        return {
            "args": self._args(),
            "k": 0,
            "t_s": 0.0,
            "swaps": 0,
            "swap_failures": 0,
            "rollbacks": 0,
            "fallbacks": 0,
            "kept": 0,
            "cycles": 0,
            "republished": 0,
            "slow_cpu_s": 0.0,
            "swap_events": [],
            "stopped_by": None,
            "slow_tier_errors": 0,
            "wall_s": 0.0,
            "live": {"fpt": None if fpt is None else str(fpt), "version": version, "action": self.safe},
            "prev": None,
            "probation": _no_probation(),
            "next_cycle": float(self.s["distill_every_s"]),
            "events": [],
            "last_seg": None,
            "last_version": version,
            "app_starts": [],
            "resumes": [],
            "completed": False,
        }

    @contextlib.contextmanager
    def _locked(self):
        """One `dpdktune run` per folder at a time (the lock dies with its process, kill -9 too)."""
        import fcntl

        self.out.mkdir(parents=True, exist_ok=True)
        with open(self.out / ".lock", "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ValueError(f"--out: {self.out} is in use by another `dpdktune run`") from None
            yield

    # -- the run ---------------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        with self._locked():
            return self._run()

    def _run(self) -> dict[str, Any]:
        st = self._load_state()
        if st is not None and st["k"] >= self.n:  # finished: write what is missing, run nothing
            self.st, self.already_finished = st, True
            summary_path = self.out / "summary.json"
            if (self.out / "timeline.parquet").exists() and summary_path.exists():
                self.summary = json.loads(summary_path.read_text())
                return self.summary
            self.summary = self._write(True)
            return self.summary
        frame = self._frame() if st is not None else pd.DataFrame()
        if st is None:
            for stale in ("timeline.parquet", "summary.json"):  # another run's outputs, from before checkpoints
                (self.out / stale).unlink(missing_ok=True)
            st = self._fresh_state()
            self.part_index = 0
        else:
            st["resumes"].append(
                {
                    "at_interval": st["k"],
                    "at_t_s": st["t_s"],
                    # wall time between the last checkpoint and this rerun (at least the downtime)
                    "down_s": round(time.time() - st["saved_at_unix"], 3),
                }
            )
            st["events"] = [*st["events"], "resume"]
            self.part_index = int(self._parts()[-1].stem.split("-")[1]) + 1
        self.st, self.k, self.part_rows = st, int(st["k"]), []
        self.wall_before, self.wall0 = float(st["wall_s"]), time.perf_counter()
        try:
            stale = json.loads((self.out / "app.json").read_text())
        except (OSError, ValueError):
            stale = None
        if stale is not None and self._reap_stale(stale):
            print(f"dpdktune run: stopped l2fwd_tune left by a killed run ({stale})", file=sys.stderr)
        slow = (
            LocalSlowTier(self.grid, self.features, self.safe, self.s, self.workers, self.out)
            if self.policy == "adaptive"
            else None
        )
        if slow is not None and len(frame):  # the measurements so far are the timeline's rows
            x_cols = [f"f_{name}" for name in self.features]
            for row, x in zip(frame.itertuples(), frame[x_cols].to_numpy(dtype=float)):
                slow.record(row.t_s, int(row.config), x, float(row.objective), bool(row.restart))
        del frame
        app_path = self._build()
        left = (self.n - self.k) * self.interval
        self.app = self._make_app(app_path, left + 10 * self.interval + 30)
        previous = None
        if threading.current_thread() is threading.main_thread():  # SIGTERM stops the app too

            def on_term(signum, frame):
                raise KeyboardInterrupt("SIGTERM")

            previous = signal.signal(signal.SIGTERM, on_term)
        completed = False
        try:
            with self.app:
                st["app_starts"].append(
                    {"at_interval": self.k, "at_t_s": st["t_s"], "prefix": self.app.prefix, "returncode": None}
                )
                self._loop(slow)
            completed = True
        except KeyboardInterrupt:
            st["stopped_by"] = "interrupt"
            raise
        except Exception as exc:
            st["stopped_by"] = f"{type(exc).__name__}: {exc}"[:300]
            raise
        finally:
            self.app.stop()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
            if st["app_starts"]:
                st["app_starts"][-1].update(returncode=self.app.returncode, final=self.app.final)
            st["completed"] = completed
            if completed:
                st["stopped_by"] = None
            self._checkpoint()  # the app's exit, the run's end (no new rows)
            self.summary = self._write(completed)
        return self.summary

    def _segment(self, t: float) -> int:
        at = 0
        for i, s in enumerate(self.segments):
            if s.start_s <= t + 1e-9:
                at = i
        return at

    def _loop(self, slow: LocalSlowTier | None) -> None:
        app, st = self.app, self.st
        t0 = float(st["t_s"])  # the run time this app starts at: its reports count from 0
        # the app's swap count -> the tree version it published: the interval lines carry the count at
        # each tick, so a row names the tree that decided the config it ran even when the reports lag
        self.by_count = {0: 0}
        decided_by = 0  # the first window runs the safe default the app starts on
        resizes0, rss = 0, _rss_mb()
        first = True
        first_timeout = 120.0 + 5 * self.interval  # EAL start-up on a busy machine
        while self.k < self.n:
            msg = app.next_interval(first_timeout if first else 10 * self.interval + 30)
            if msg is None:
                raise AppError(f"{self.backend}: l2fwd_tune exited early (code {app.exit_code()}; {app.log_tail()})")
            if first and st["live"]["fpt"] is not None:  # the app is up: publish the live tree
                answer = app.swap(st["live"]["fpt"])
                if not answer["ok"]:
                    raise AppError(f"{self.backend}: the app refused tree {st['live']['fpt']}: {answer['error']}")
                self.by_count[int(answer["swaps"])] = st["live"]["version"]
                if self.k == 0:  # --tree, at the start of the run
                    st["swaps"] += 1
                    st["events"].append("swap")
                else:  # the tree that was live when the run was killed
                    st["republished"] += 1
            first = False
            restart = int(msg["ring_resizes"]) > resizes0  # the ports restarted inside this window
            resizes0 = int(msg["ring_resizes"])
            row, x = self._row(msg, t0 + float(msg["t_s"]), restart, decided_by, rss)
            if slow is not None:
                slow.record(row["t_s"], row["config"], x, row["objective"], restart)
                self._probation(row, restart)
            self.part_rows.append(row)
            self.k += 1
            st["t_s"] = row["t_s"]
            st["events"] = []
            decided_by = self.by_count[max(c for c in self.by_count if c <= int(msg["swaps"]))]
            if self.k % 30 == 0:
                rss = _rss_mb()
            # a cycle after the last row would publish a tree that never runs
            if slow is not None and self.k < self.n and row["t_s"] >= st["next_cycle"]:
                st["next_cycle"] = row["t_s"] + float(self.s["distill_every_s"])
                cpu0 = time.thread_time()
                try:
                    self._cycle(slow, row["t_s"])
                finally:
                    st["slow_cpu_s"] += time.thread_time() - cpu0
            self._checkpoint()

    def _row(
        self, msg: dict[str, Any], t: float, restart: bool, decided_by: int, rss: float
    ) -> tuple[dict[str, Any], np.ndarray]:
        """One timeline row from an interval report; the features as the slow tier reads them."""
        from dpdktune import objective as objective_lib
        from dpdktune.runtime.scenario import load_class

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
        x = np.array([np.nan if msg["features"].get(f) is None else float(msg["features"][f]) for f in self.features])
        at = self._segment(t)
        seg = self.segments[at]
        knobs = self.grid[ran] if 0 <= ran < len(self.grid) else None
        shift = bool(seg.shift and at != self.st["last_seg"])
        self.st["last_seg"] = at
        row = {
            "t_s": t,
            "dt_s": dt,
            "workload": seg.workload,
            "load_scale": seg.load_scale,
            "load_level": load_class(seg.load_scale, self.levels),
            "load_replayed": False,
            "shift": shift,
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
            "events": ",".join(self.st["events"]),
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
        return row, x

    def _probation(self, row: dict[str, Any], restart: bool) -> None:
        """Live probation after a swap: the candidate's measurements against the previous config's;
        `rollback_k` intervals in a row below it swap the previous tree back."""
        st, s = self.st, self.s
        probation, live, prev = st["probation"], st["live"], st["prev"]
        if not (
            prev is not None
            and row["t_s"] < probation["until"]
            and probation["ref"]
            and not restart
            and row["config"] == live["action"]
        ):
            return
        low = row["objective"] < probation["ref"] * (1 - float(s["rollback_tolerance"]))
        probation["below"] = probation["below"] + 1 if low else 0
        if probation["below"] < int(s["rollback_k"]):
            return
        answer = self.app.swap(prev["fpt"])
        if not answer["ok"]:
            st["swap_failures"] += 1
            return
        st["rollbacks"] += 1
        self.by_count[int(answer["swaps"])] = prev["version"]
        st["events"].append("rollback")
        st["swap_events"].append(
            {
                "t_s": row["t_s"],
                "kind": "rollback",
                "version": prev["version"],
                "config": prev["action"],
                "answer_ms": answer["answer_ms"],
            }
        )
        st["live"], st["prev"], st["probation"] = prev, None, _no_probation()

    def _cycle(self, slow: LocalSlowTier, t: float) -> None:
        """One slow-tier cycle: choose a candidate from the measurements, publish it as a tree."""
        st, app = self.st, self.app
        live, prev = st["live"], st["prev"]
        st["cycles"] += 1
        version = max(live["version"], prev["version"] if prev else 0, st["last_version"]) + 1
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
                    self.by_count[int(answer["swaps"])] = 0
                    st["events"].append("fallback")
                    st["live"], st["prev"] = {"fpt": None, "version": 0, "action": self.safe}, None
                    st["probation"] = _no_probation()
            return
        if cand_fpt is None:
            st["kept"] += 1
            return
        st["last_version"] = version
        answer = app.swap(cand_fpt)
        if not answer["ok"]:
            st["swap_failures"] += 1
            st["last_swap_error"] = answer["error"][:300]
            return
        st["swaps"] += 1
        self.by_count[int(answer["swaps"])] = version
        st["events"].append("swap")
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
        st["prev"] = live
        st["live"] = {"fpt": str(cand_fpt), "version": version, "action": action}
        st["probation"] = {
            "until": t + float(self.s["probation_s"]),
            "ref": ref[0] if ref[1] >= MIN_INTERVALS else None,
            "below": 0,
        }

    # -- outputs ---------------------------------------------------------------------------------------
    def _write(self, completed: bool) -> dict[str, Any]:
        from dpdktune.atomic import replacing, write_json

        frame = self._frame()
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
        starts = st["app_starts"]
        app_final = (starts[-1].get("final") if starts else None) or {}
        finals = [s.get("final") for s in starts if s.get("final")]
        return {
            "backend": self.backend,
            "policy": self.policy,
            "completed": completed,
            "stopped_by": st["stopped_by"],
            "scenario": self.scenario,
            "duration_s": self.duration_s,
            "decision_interval_s": self.interval,
            "intervals": n,
            "run_time_s": float(frame.dt_s.sum()) if n else 0.0,
            "resumes": st["resumes"],
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
            "republished_after_resume": st["republished"],
            "slow_tier_errors": st["slow_tier_errors"],
            "last_slow_tier_error": st.get("last_slow_tier_error"),
            "kept": st["kept"],
            "cycles": st["cycles"],
            "swap_events": st["swap_events"],
            "slow_cpu_s": st["slow_cpu_s"],
            "wall_s": st.get("wall_s"),
            "fraction_of_oracle": None,
            "oracle": f"not measured on {self.backend}: the best config of each interval would need every "
            "config run on the same traffic at once",
            "latency": "not measured: l2fwd_tune puts no timestamps on packets (latency columns are NaN)",
            "load_phases_replayed": False,
            "load": "net_null offers packets as fast as the workers poll (always saturated); the scenario's "
            "phases label the rows but their load and workload are not replayed",
            "shadow_validation": "live probation instead (no twin of this machine): rollback after rollback_k "
            "intervals below the previous config's measured mean",
            "app": {
                "path": str(self.app.app) if self.app is not None else None,
                "workers": self.workers,
                "returncode": starts[-1].get("returncode") if starts else None,
                "starts": len(starts),
                "decisions": app_final.get("decisions"),
                "decisions_all_starts": sum(int(f.get("decisions") or 0) for f in finals),
                "decide_ns_mean": app_final.get("decide_ns_mean"),
                "ring_resizes": app_final.get("ring_resizes"),
                "tx_mpps": app_final.get("tx_mpps"),
                "invalid_decisions": app_final.get("invalid_decisions"),
                "final": app_final,
                **self._app_summary(),
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
