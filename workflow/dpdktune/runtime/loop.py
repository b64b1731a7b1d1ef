"""One run of the runtime over a scenario: decide every interval, learn in the background, checkpoint.

Each interval the policy decides from the features the data plane measured over the previous
interval (under the config it ran then), the new config is applied (for the learned policies a
ring change only once `ring_confirm_intervals` decisions in a row ask for it; a ring change restarts
the port: the interval keeps only 1 - restart_cost_s / decision_interval_s of its objective),
and the interval earns its traffic cell's objective for that config. The oracle column is the
cell's best config without a restart; the safe-default column is the safe default's.

Adaptive only: the slow tier's cycle runs in a worker thread; its result is taken
`slow_tier_latency_s` of simulated time after it started (so results do not depend on how
busy the machine is), published with fp_swap when shadow validation accepts it, or dropped.
After a swap the live objective is compared every interval (restart intervals excepted) with
what the twin estimates the previous tree and the safe default would have earned from the
same input on the same traffic (its learning trials, not the live ones); `rollback_k`
intervals below either (by more than `rollback_tolerance`) within the last 2 x rollback_k - 1
roll back to the previous tree during probation (whose reference also holds what the traffic
measured just before the swap), or to the safe default after it; either starts a slow-tier cycle at
once, whose calibrated twin has seen the shortfall.

The fast tier's guard (guard.py; adaptive and fast-only) acts sooner: one interval below the
safe default's expected value sends the next interval to the safe default, and keeps the tree
off the config that fell short on that traffic. Both tiers know traffic only by what the data
plane measures (its signature: offered rate and frame size, guard.traffic_key), never by the
scenario's workload name or load level: the slow tier's replay, calibration and watch key on
the signature, and its twin knows only the campaign's workloads (slowtier.py). A measured
objective that misses the calibrated twin's estimate for the config running by more than
`surprise_tolerance` (outside the range that traffic signature already measured for that config,
or off the twin's estimate where it never ran: the twin was wrong about this traffic) starts a
slow-tier cycle at once, as a guard trip on the tree's own choice does, instead of waiting for
the `distill_every_s` period.

Checkpoints: every `checkpoint_every_s` the finished intervals go to timeline.parts/ and the
state to state.json (each written to a temp name and renamed), so a killed run resumes from
its last checkpoint and repeats only the intervals after it, with the same results.
"""

from __future__ import annotations

import json
import resource
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dpdktune.atomic import write_json
from dpdktune.knobs import Knobs
from dpdktune.runtime.guard import traffic_key
from dpdktune.runtime.scenario import Segment, expand, load_class, load_scenario
from dpdktune.runtime.settings import segments_basis, settings_digest
from dpdktune.runtime.twin import REPORT_METRICS
from dpdktune.sections import section

#: the measured metrics of the config an interval runs, from the twin (report tables)
METRIC_COLUMNS = REPORT_METRICS
#: closed-loop learned policies, whose ring changes wait for confirmation (noise in the features
#: otherwise flips near-tied ring choices and pays a port restart each time)
DEBOUNCED = ("adaptive", "fast-only", "rules")
POLICIES = ("adaptive", "static", "rules", "reactive", "fast-only", "oracle")
_MASK = (1 << 64) - 1


def _mix(seed: int, k: int) -> int:
    """splitmix64 of (seed, k): the trial an interval reads, the same on every rerun."""
    z = (seed * 0x9E3779B97F4A7C15 + k * 0xBF58476D1CE4E5B9 + 0x94D049BB133111EB) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def _rss_mb() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return float("nan")
    return pages * resource.getpagesize() / 2**20


class _Job:
    """One slow-tier cycle in a worker thread."""

    def __init__(self, fn, ready_at: float):
        self.ready_at = ready_at
        self.result = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self.thread.start()

    def _run(self, fn) -> None:
        try:
            self.result = fn()
        except BaseException as exc:  # noqa: BLE001 - any failure of the slow tier means fallback
            self.error = exc

    def join(self):
        self.thread.join()
        return self.result


class Run:
    def __init__(
        self,
        config: dict[str, Any],
        scenario: str | Path,
        duration_s: float,
        out: str | Path,
        policy: str = "adaptive",
        seed: int | None = None,
        tree: str | None = None,
        cache_dir: str | Path | None = None,
        settings: dict[str, Any] | None = None,
    ):
        from dpdktune.fingerprint import default_knobs, feature_names
        from dpdktune.runtime.settings import runtime_settings
        from dpdktune.runtime.twin import Twin
        from dpdktune.workloads import config_catalogue, workloads_of

        if policy not in POLICIES:
            raise ValueError(f"--policy: {policy!r} is not one of {', '.join(POLICIES)}")
        if not duration_s > 0:
            raise ValueError(f"--duration-s: must be > 0, got {duration_s}")
        self.config = config
        self.s = settings or runtime_settings(config)
        self.policy = policy
        self.seed = int(config["seed"] if seed is None else seed)
        self.out = Path(out)
        self.duration_s = float(duration_s)
        self.tree_arg = tree
        catalogue = config_catalogue(config)
        self.train = [w.name for w in workloads_of(config)]
        self.levels = [float(v) for v in self.s["load_levels"]]
        self.segments: list[Segment] = expand(load_scenario(scenario, set(catalogue)), self.levels, duration_s)
        self.twin = Twin(
            config,
            catalogue,
            feature_names(config),
            self.s["twin_trials"],
            cache_dir if cache_dir is not None else self.out / "twin",
        )
        self.interval = float(self.s["decision_interval_s"])
        restart = section(config, "rl").restart_cost_s
        self.restart_factor = max(0.0, 1.0 - restart / self.interval)
        self.n = int(np.ceil(self.duration_s / self.interval - 1e-9))
        self.campaign_cells = [(w, lv) for w in self.train for lv in self.levels]
        self.default = self.twin.grid.index(default_knobs(config))
        self._grid_index = {k: i for i, k in enumerate(self.twin.grid)}

    # -- set-up ----------------------------------------------------------------------------------------
    def _campaign(self) -> tuple[np.ndarray, np.ndarray]:
        table = np.array([self.twin.cell(w, lv).objective_train for w, lv in self.campaign_cells])
        fingerprints = np.array(
            [np.nanmean(self.twin.cell(w, lv).train_features[self.default], axis=0) for w, lv in self.campaign_cells]
        )
        return table, fingerprints

    def _setup(self) -> None:
        from dpdktune.runtime import policies
        from dpdktune.runtime.fastpath import FastPathLib, build_library, safe_default_table
        from dpdktune.runtime.slowtier import SlowTier

        table, fingerprints = self._campaign()
        self.safe = policies.fit_static(table, "worst")
        self.static = policies.fit_static(table, "mean")
        self.rules = (
            policies.fit_rules(fingerprints, table, self.twin.grid, self.config) if self.policy == "rules" else None
        )
        self.reactive = (
            policies.Reactive(self.twin.grid, self.twin.features, self.config) if self.policy == "reactive" else None
        )
        self.lib = self.slow = self.guard = None
        if self.policy in ("adaptive", "fast-only"):
            from dpdktune.runtime.guard import Guard, SafeReference

            if self.s["guard"]:
                self.guard = Guard(self.safe, float(self.s["guard_tolerance"]))
                self.safe_ref = SafeReference(
                    self.twin.features,
                    (
                        (self.twin.cell(w, lv).train_features, self.twin.cell(w, lv).objective_train[self.safe])
                        for w, lv in self.campaign_cells
                    ),
                )
            # the slow tier's twin knows the campaign's workloads only, never a scenario's by its name
            self.slow = SlowTier(
                self.twin.known_only(self.train),
                self.s,
                self.safe,
                self.campaign_cells,
                self.out,
                self.seed,
                self.restart_factor,
            )
            X = self.slow.campaign_X
            lib_table = safe_default_table(self.twin.features, self.twin.grid, self.safe, X)
            self.lib = FastPathLib(
                build_library(
                    lib_table, self.out / "fastpath", section(self.config, "codegen").cc, shared=self.twin.cache_dir
                )
            )

    def _initial_tree(self) -> None:
        """Version 1: --tree's tree.json, else a refit on the campaign; `--tree none`: the safe default."""
        from dpdktune.codegen.pack import write_fpt
        from dpdktune.treefile import read_tree_json, write_tree_json
        from dpdktune.treelayout import compile_table

        self.version, self.live_fpt = 0, None
        if self.tree_arg == "none":
            return
        if self.tree_arg:
            table = read_tree_json(self.tree_arg)
            if tuple(table["features"]) != self.twin.features or len(table["configs"]) != len(self.twin.grid):
                raise ValueError(
                    f"--tree: {self.tree_arg} reads other features or another config grid than this config's"
                )
        else:
            table = self.slow.fit_table([])
        trees = self.out / "trees"
        trees.mkdir(parents=True, exist_ok=True)
        write_tree_json(table, trees / "v1.json")
        self._publish(write_fpt(compile_table(table), trees / "v1.fpt"), 1)

    def _publish(self, fpt: Path | None, version: int, handle: int | None = None) -> None:
        if fpt is None:
            self.lib.swap(None)
        else:
            self.lib.swap(handle if handle is not None else self.lib.load(fpt))
        self.live_fpt, self.version = (str(fpt) if fpt else None), version
        self._gate = None
        if fpt is not None:
            from dpdktune.treefile import read_tree_json
            from dpdktune.treelayout import compile_table

            table = read_tree_json(Path(fpt).with_suffix(".json"))
            self._gate = (compile_table(table), table)

    def _novel(self, x: np.ndarray) -> bool:
        """Whether fp_decide fell back on `x` (outside its leaf's box, or a low-confidence leaf)."""
        from dpdktune.treelayout import inside_leaf_box, walk

        if self._gate is None:
            return False
        tree, table = self._gate
        X = np.asarray(x, np.float32)[None]
        slot = walk(tree, np.nan_to_num(X, nan=0.0))
        leaf = tree.leaf_of[slot]
        low = table["nodes"][int(tree.source_index[slot][0])]["confidence"] < table["confidence_threshold"]
        return bool(low or not inside_leaf_box(tree, X, leaf)[0])

    # -- state -----------------------------------------------------------------------------------------
    def _fresh_state(self) -> dict[str, Any]:
        return {
            "k": 0,
            "current": self.default,
            "version": self.version,
            "live_fpt": self.live_fpt,
            "prev_fpt": None,
            "prev_version": None,
            "next_cycle_s": float(self.s["distill_every_s"]),
            "novelty_run": 0,
            "below_run": 0,
            "probation_until_s": -1.0,
            "next_version": self.version + 1,
            "swaps": 0,
            "rollbacks": 0,
            "fallbacks": 0,
            "rejected": 0,
            "cycles": 0,
            "slow_cpu_s": 0.0,
            "slow_wall_s": 0.0,
            "decide_ns": [],
            "wall_s": 0.0,
            "reactive_since_up": 10,
            "part": 0,
            "x_last": None,
            "slow": {},
            "args": self._args(),
        }

    def _args(self) -> dict[str, Any]:
        """What a checkpoint must match to be resumed: the arguments, the scenario and every setting
        the run's results depend on (a changed one starts afresh elsewhere, never mixes in)."""
        c = self.config
        digest = settings_digest(
            self.s,
            self.train,
            c["grid"],
            c["objective"],
            c.get("slo"),
            c["default_config"],
            c["hardware"],
            c.get("sim"),
            c.get("rl", {}).get("restart_cost_s"),
            c.get("features"),
            segments_basis(self.segments),
        )
        return {
            "policy": self.policy,
            "seed": self.seed,
            "duration_s": self.duration_s,
            "n": self.n,
            "segments": len(self.segments),
            "tree": self.tree_arg,
            "settings_sha256": digest,
        }

    def _checkpoint(self, st: dict[str, Any], rows: list[dict]) -> None:
        parts = self.out / "timeline.parts"
        parts.mkdir(parents=True, exist_ok=True)
        if rows:
            from dpdktune.atomic import replacing

            with replacing(parts / f"part-{st['part']:06d}.parquet") as tmp:
                pd.DataFrame(rows).to_parquet(tmp, index=False)
            st["part"] += 1
        if self.slow is not None:
            st["slow"] = self.slow.state()
            self.slow.save_buffer(self.out / "buffer.npz")
        if self.reactive is not None:
            st["reactive_since_up"] = self.reactive.since_up
        if self.guard is not None:
            st["guard"] = self.guard.state()
        write_json(st, self.out / "state.json")
        rows.clear()

    def _resume(self) -> dict[str, Any] | None:
        path = self.out / "state.json"
        if not path.exists():
            return None
        st = json.loads(path.read_text())
        if st.get("args") != self._args():
            raise ValueError(
                f"--out: {self.out} holds a run with other arguments ({st.get('args')}); use another folder"
            )
        parts = self.out / "timeline.parts"
        for extra in sorted(parts.glob("part-*.parquet"))[st["part"] :]:  # written after the checkpoint
            extra.unlink()
        return st

    # -- the run ---------------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        from dpdktune.runtime.summary import summarize

        self.out.mkdir(parents=True, exist_ok=True)
        summary_path = self.out / "summary.json"
        self._setup()
        state = self.out / "state.json"
        if (self.out / "timeline.parquet").exists() and state.exists():
            st = json.loads(state.read_text())
            if st.get("args") == self._args() and st["k"] == self.n:  # finished: summarise again, run nothing
                summary = summarize(pd.read_parquet(self.out / "timeline.parquet"), st, self)
                write_json(summary, summary_path)
                return summary
        st = self._resume()
        if st is None:
            if self.lib is not None:
                self._initial_tree()
            else:
                self.version, self.live_fpt = 0, None
            st = self._fresh_state()
        else:
            if self.lib is not None:
                self._publish(Path(st["live_fpt"]) if st["live_fpt"] else None, st["version"])
            if self.slow is not None:
                self.slow.restore(st["slow"])
                self.slow.load_buffer(self.out / "buffer.npz")
            if self.reactive is not None:
                self.reactive.since_up = st["reactive_since_up"]
            if self.guard is not None:
                self.guard.restore(st.get("guard") or {})
        self._loop(st)
        frame = pd.concat(
            [pd.read_parquet(p) for p in sorted((self.out / "timeline.parts").glob("part-*.parquet"))],
            ignore_index=True,
        )
        from dpdktune.atomic import replacing

        with replacing(self.out / "timeline.parquet") as tmp:
            frame.to_parquet(tmp, index=False)
        summary = summarize(frame, st, self)
        write_json(summary, summary_path)
        return summary

    def _loop(self, st: dict[str, Any]) -> None:
        twin, s, interval = self.twin, self.s, self.interval
        per_checkpoint = max(1, int(round(float(s["checkpoint_every_s"]) / interval)))
        learning = self.policy == "adaptive" and bool(s["background_learning"])
        rows: list[dict] = []
        job: _Job | None = None
        prev_handle = self.lib.load(st["prev_fpt"]) if self.lib is not None and st["prev_fpt"] else None
        seg_i, last_seg = 0, int(st.get("last_seg", -1))
        current = int(st["current"])
        x_last = np.array(st["x_last"], float) if st["x_last"] is not None else None
        rss = _rss_mb()
        wall0 = time.perf_counter()
        decide_ns: list[int] = list(st["decide_ns"])
        for k in range(int(st["k"]), self.n):
            t = k * interval
            while self.segments[seg_i].end_s <= t + 1e-9 and seg_i + 1 < len(self.segments):
                seg_i += 1
            seg = self.segments[seg_i]
            level = load_class(seg.load_scale, self.levels)
            cell = twin.cell(seg.workload, level)
            trial = _mix(self.seed, k) % cell.split
            if x_last is None:  # the first measurement, under the default config
                x_last = cell.live_features[current, trial]
            x_in = np.nan_to_num(x_last, nan=0.0).astype(np.float32)
            # the guard's key: the traffic the data plane measured last interval (what the decision reads)
            feat_key = traffic_key(x_last, twin.features) if self.guard is not None else None
            events: list[str] = []
            guarded = None
            # -- the slow tier's result, when it is due
            if job is not None and t >= job.ready_at:
                cand, job_error = job.join(), job.error
                job = None
                st["cycles"] += 1
                if cand is None:
                    st["slow_tier_errors"] = st.get("slow_tier_errors", 0) + 1
                    st["last_slow_tier_error"] = repr(job_error)[:300]
                    self._publish(None, 0)
                    st["fallbacks"] += 1
                    events.append("fallback")
                else:
                    self.slow.ready.update(cand.simulated)
                    st["slow_cpu_s"] += cand.cpu_s
                    st["slow_wall_s"] += cand.wall_s
                    if cand.accepted:
                        if prev_handle is not None:
                            self.lib.free(prev_handle)
                        prev_handle = self.lib.load(self.live_fpt) if self.live_fpt else None
                        st["prev_fpt"], st["prev_version"] = self.live_fpt, self.version
                        self._publish(cand.fpt, cand.version, cand.handle)
                        st["swaps"] += 1
                        st["probation_until_s"] = t + float(s["probation_s"])
                        st["pre_swap"] = st.get("last_ok")  # what the traffic earned just before the swap
                        st["below_run"], st["short_window"] = 0, []
                        events.append("swap")
                    else:
                        st["rejected"] += 1
                        events.append("reject")
            # -- the decision
            if self.lib is not None:
                t0 = time.perf_counter_ns()
                nxt = self.lib.decide(x_in)
                spent = time.perf_counter_ns() - t0
                if len(decide_ns) < 4096:
                    decide_ns.append(spent)
                if self.version > 0 and nxt == self.safe and s["novelty"] and self._novel(x_in):
                    events.append("novelty")
                    st["novelty_run"] += 1
                else:
                    st["novelty_run"] = 0
                if self.guard is not None:
                    nxt, guarded = self.guard.filter(feat_key, current, nxt)
                    if guarded:
                        events.append(guarded)
            elif self.policy == "static":
                nxt = self.static
            elif self.policy == "rules":
                nxt = int(self.rules.predict(x_in[None].astype(float))[0])
            elif self.policy == "reactive":
                nxt = self.reactive.decide(current, x_in)
            else:
                nxt = cell.best
            if self.policy in DEBOUNCED and not guarded:  # the guard's safe default goes in at once
                nxt = self._debounce(st, current, nxt)
                if self.guard is not None:
                    nxt, guarded = self.guard.veto(feat_key, current, nxt)
                    if guarded:
                        events.append(guarded)
            restart = twin.restarts(current, nxt)
            value = float(cell.objective[nxt]) * (self.restart_factor if restart else 1.0)
            safe_value = float(cell.objective[self.safe])
            # -- the fast tier's guard, and a surprise for the slow tier (the restart's charge excluded)
            measured = float(cell.objective[nxt])
            x_now = cell.live_features[nxt, trial]  # what the data plane measures over this interval
            # the traffic's signature, from what the data plane measured (the guard's and the slow tier's key)
            now_key = traffic_key(x_now, twin.features)
            if self.slow is not None:
                self.slow.observe(now_key, nxt, x_now)
            if self.guard is not None and self.guard.observe(
                now_key, feat_key, nxt, measured, self.safe_ref.expected(x_now)
            ):
                events.append("trip")
                if learning and feat_key == now_key:
                    st["next_cycle_s"] = min(st["next_cycle_s"], t)  # the tree's own choice fell short: learn now
            if learning and not restart:
                if self.slow.surprised(now_key, nxt, measured, float(s["surprise_tolerance"])):
                    events.append("surprise")
                    st["next_cycle_s"] = min(st["next_cycle_s"], t)
            # -- rollback and fallback watch (adaptive, on a learned tree, outside restarts)
            if learning and self.version > 0 and not restart:
                probation = t < st["probation_until_s"] and prev_handle is not None
                # the calibrated twin's estimates (what was measured on this traffic where it ran), not the
                # live truth: the raw twin overrates configs on a loss cliff, so a new tree that left such
                # a config for a better one was rolled back to it, and the safe default on noisy traffic
                # fell short of its own raw estimate and "fell back" to itself
                refs = [self.slow.estimate(now_key, self.safe)]
                if probation:
                    refs.append(self.slow.estimate(now_key, self.lib.tree_decide(prev_handle, x_in)))
                    # and what this traffic measured just before the swap: the previous tree's choice on
                    # features of the new tree's config can be the new tree's own mistake
                    pre = st.get("pre_swap")
                    if pre and now_key is not None and pre[0] == list(now_key):
                        refs.append(float(pre[1]))
                refs = [r for r in refs if np.isfinite(r)]  # no signature: nothing to compare with
                ref = max(refs) if refs else -np.inf
                short = value < ref * (1 - float(s["rollback_tolerance"])) and (probation or nxt != self.safe)
                # rollback_k shortfalls within the last 2 x rollback_k - 1 intervals: a tree that alternates
                # between a bad config and a good one never falls short k times in a row
                k_roll = int(s["rollback_k"])
                st["short_window"] = (st.get("short_window", []) + [bool(short)])[-(2 * k_roll - 1) :]
                st["below_run"] = st["below_run"] + 1 if short else 0
                if sum(st["short_window"]) >= k_roll:
                    st["below_run"], st["short_window"] = 0, []
                    if probation:
                        self._publish(
                            Path(st["prev_fpt"]) if st["prev_fpt"] else None, st["prev_version"] or 0, prev_handle
                        )
                        prev_handle = None
                        st["rollbacks"] += 1
                        events.append("rollback")
                    else:
                        self._publish(None, 0)
                        st["fallbacks"] += 1
                        events.append("fallback")
                    st["prev_fpt"], st["prev_version"] = None, None
                    st["next_cycle_s"] = t  # learn from it now (the buffer holds what went wrong)
            if not restart:
                st["last_ok"] = [list(now_key) if now_key is not None else None, value]
            knobs = twin.grid[nxt]
            rows.append(
                {
                    "t_s": t,
                    "workload": seg.workload,
                    "novel_workload": seg.workload not in self.train,
                    "load_scale": seg.load_scale,
                    "load_level": level,
                    "shift": bool(seg.shift and seg_i != last_seg),
                    "config": nxt,
                    "rx_desc": knobs.rx_desc,
                    "tx_desc": knobs.tx_desc,
                    "cores": knobs.cores,
                    "burst": knobs.burst,
                    "restart": restart,
                    "objective": value,
                    "oracle_objective": float(cell.objective.max()),
                    "safe_objective": safe_value,
                    "tree_version": self.version,
                    "events": ",".join(events),
                    "rss_mb": rss,
                    **dict(zip(METRIC_COLUMNS, map(float, cell.metrics[nxt]))),
                }
            )
            x_last = x_now
            current, last_seg = nxt, seg_i
            if self.slow is not None:
                self.slow.record(t, now_key, nxt, x_last, None if restart else value)
            # -- start a slow-tier cycle: on its period, or early on repeated novelty
            if learning and job is None:
                early = s["novelty"] and st["novelty_run"] >= int(s["novelty_trigger_intervals"])
                if t >= st["next_cycle_s"] or early:
                    job = self._start_cycle(st, t, current)
                    st["next_cycle_s"] = t + float(s["distill_every_s"])
                    st["novelty_run"] = 0
            if k % 60 == 0:
                rss = _rss_mb()
            if (k + 1) % per_checkpoint == 0 and job is None:
                st.update(
                    k=k + 1,
                    current=current,
                    last_seg=last_seg,
                    x_last=[float(v) for v in x_last],
                    decide_ns=decide_ns,
                    wall_s=st["wall_s"] + time.perf_counter() - wall0,
                )
                wall0 = time.perf_counter()
                self._checkpoint(st, rows)
        if job is not None:
            job.join()  # a cycle still running at the end is not published
        st.update(
            k=self.n,
            current=current,
            x_last=[float(v) for v in x_last] if x_last is not None else None,
            decide_ns=decide_ns,
            wall_s=st["wall_s"] + time.perf_counter() - wall0,
        )
        self._checkpoint(st, rows)

    def _debounce(self, st: dict[str, Any], current: int, nxt: int) -> int:
        """Apply a ring change only once `ring_confirm_intervals` decisions in a row ask for the same
        rings; until then keep the rings and apply the rest (cores, burst take effect at once)."""
        grid = self.twin.grid
        if not self.twin.restarts(current, nxt):
            st["ring_want"], st["ring_votes"] = None, 0
            return nxt
        want = [grid[nxt].rx_desc, grid[nxt].tx_desc]
        st["ring_votes"] = st.get("ring_votes", 0) + 1 if st.get("ring_want") == want else 1
        st["ring_want"] = want
        if st["ring_votes"] >= int(self.s["ring_confirm_intervals"]):
            st["ring_want"], st["ring_votes"] = None, 0
            return nxt
        cur, new = grid[current], grid[nxt]
        return self._grid_index[Knobs(cur.rx_desc, cur.tx_desc, new.cores, new.burst)]

    def _start_cycle(self, st: dict[str, Any], t: float, current: int) -> _Job:
        version = st["next_version"]
        st["next_version"] += 1
        # here: the worker must not read the buffer
        live_rows, measured = self.slow.live_rows(t), self.slow.measured()
        cells = list(live_rows)  # the recent cells, first seen first
        live_fpt, lib, slow = self.live_fpt, self.lib, self.slow

        def cycle():
            live = lib.load(live_fpt) if live_fpt else None  # its own copy: a rollback may free the live one
            try:
                return slow.cycle(lib, live, version, cells, current, measured, live_rows)
            finally:
                if live is not None:
                    lib.free(live)

        return _Job(cycle, t + float(self.s["slow_tier_latency_s"]))
