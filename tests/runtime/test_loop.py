import json
import signal
import subprocess
import time

import numpy as np
import pandas as pd
import pytest
from dpdktune.runtime.loop import Run

from .helpers import SHIFT_AND_NOVEL, cli_env, run_command, scenario, tiny_config

SUMMARY_KEYS = (
    "fraction_of_oracle",
    "regret",
    "adaptation_s",
    "below_safe_default_share",
    "swaps",
    "rollbacks",
    "peak_rss_mb",
    "decision_overhead",
)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("twin")


@pytest.fixture(scope="module")
def runs(tmp_path_factory, cache):
    """Every policy over the same scenario and seed."""
    tmp = tmp_path_factory.mktemp("runs")
    config, _ = tiny_config(tmp)
    scn = scenario(tmp, SHIFT_AND_NOVEL)
    out = {}
    for policy in ("adaptive", "fast-only", "static", "rules", "reactive", "oracle"):
        summary = Run(config, scn, 140, tmp / policy, policy, seed=1, cache_dir=cache).run()
        out[policy] = (summary, pd.read_parquet(tmp / policy / "timeline.parquet"))
    return out


def test_outputs_have_the_documented_columns_and_keys(runs):
    summary, frame = runs["adaptive"]
    assert len(frame) == 140
    for col in ("t_s", "workload", "load_scale", "config", "objective", "oracle_objective", "tree_version", "events"):
        assert col in frame
    for key in SUMMARY_KEYS:
        assert key in summary
    assert (frame.objective <= frame.oracle_objective + 1e-9).all()


def test_baselines_see_the_same_traffic(runs):
    ref = runs["adaptive"][1]
    for policy, (_, frame) in runs.items():
        assert frame.workload.tolist() == ref.workload.tolist(), policy
        assert np.allclose(frame.oracle_objective, ref.oracle_objective), policy


def test_a_novel_workload_falls_back_then_the_slow_tier_swaps_in_a_tree_that_serves_it(runs):
    summary, frame = runs["adaptive"]
    novel = frame[frame.workload == "video"]
    events = novel.events.tolist()
    first_novelty = next(i for i, e in enumerate(events) if "novelty" in e)
    first_swap = next(i for i, e in enumerate(events) if "swap" in e)
    assert first_novelty < first_swap < 20  # novelty starts a cycle early, not at the 60 s period
    fallbacks = frame.config[frame.events.str.contains("novelty")]
    assert (fallbacks.iloc[1:] == probe_safe(frame, summary)).all()  # the first may keep its rings one interval
    after = novel.iloc[first_swap:]
    after = after[~after.restart]  # a ring change's port restart is charged on its interval
    assert len(after) > 40 and (after.objective >= 0.95 * after.oracle_objective).all()
    assert summary["swaps"] >= 1 and summary["novelty_intervals"] >= 3
    fast_only = runs["fast-only"][1]
    assert runs["fast-only"][0]["swaps"] == 0 and (fast_only.tree_version == 1).all()
    assert summary["novel_workload_fraction_of_oracle"] > runs["fast-only"][0]["novel_workload_fraction_of_oracle"]


def test_oracle_is_the_ceiling_up_to_restarts(runs):
    oracle = runs["oracle"][1]
    assert np.allclose(oracle.objective[~oracle.restart], oracle.oracle_objective[~oracle.restart])


def _bad_tree(tmp_path, cache, **runtime):
    """A run on kv at load 0.2 from a tree that always picks kv's worst config there."""
    from dpdktune.runtime.fastpath import safe_default_table
    from dpdktune.treefile import write_tree_json

    config, _ = tiny_config(tmp_path, rollback_k=3, **runtime)
    scn = scenario(tmp_path, SHIFT_AND_NOVEL[1:2])
    probe = Run(config, scn, 20, tmp_path / "probe", "static", seed=1, cache_dir=cache)
    probe._setup()
    cell = probe.twin.cell("kv", 0.2)
    worst = int(np.argmin(cell.objective))
    X = np.nan_to_num(cell.features.reshape(-1, cell.features.shape[-1]))
    bad = write_tree_json(safe_default_table(probe.twin.features, probe.twin.grid, worst, X), tmp_path / "bad.json")
    summary = Run(config, scn, 20, tmp_path / "bad", "adaptive", seed=1, tree=str(bad), cache_dir=cache).run()
    frame = pd.read_parquet(tmp_path / "bad" / "timeline.parquet")
    assert cell.objective[worst] < 0.9 * cell.objective[probe.safe]
    return summary, frame, probe.safe, worst


def test_the_guard_sends_the_next_interval_to_the_safe_default_and_vetoes_the_bad_config(tmp_path, cache):
    summary, frame, safe, worst = _bad_tree(tmp_path, cache)
    trips = frame.index[frame.events.str.contains("trip")]
    first = int(frame.index[frame.config == worst][0])  # the debounce may hold the rings for one interval
    assert len(trips) >= 1 and trips[0] == first
    assert frame.config.iloc[first + 1] == safe and "guard" in frame.events.iloc[first + 1]
    assert (frame.config.iloc[first + 1 :] != worst).all()  # vetoed on this traffic
    assert summary["below_safe_default_max_run_outside_restarts"] <= 1
    swaps = frame.index[frame.events.str.contains("swap")]
    assert len(swaps) >= 1 and swaps[0] <= first + 7  # the trip started a slow-tier cycle at once (5 s latency)
    later = frame.iloc[first + 1 :]
    assert (later.objective[~later.restart] >= 0.99 * later.safe_objective[~later.restart]).all()


def test_the_guard_keys_traffic_on_measured_features_never_on_its_name(tmp_path, cache, monkeypatch):
    from dpdktune.runtime.guard import Guard

    seen = []
    observe = Guard.observe

    def spy(self, key, decided_on, config, value, safe_ref):
        seen.append((key, decided_on))
        return observe(self, key, decided_on, config, value, safe_ref)

    monkeypatch.setattr(Guard, "observe", spy)
    _bad_tree(tmp_path, cache)
    keys = [k for pair in seen for k in pair if k is not None]
    assert len(seen) == 20 and keys
    assert all(isinstance(v, int) for k in keys for v in k)  # bucket indices, not a workload name or load level


def test_without_the_guard_a_bad_initial_tree_falls_back_within_k_intervals(tmp_path, cache):
    summary, frame, safe, worst = _bad_tree(tmp_path, cache, guard=False)
    fell = frame.index[frame.events.str.contains("fallback")]
    assert len(fell) == 1 and fell[0] <= 3
    swaps = frame.index[frame.events.str.contains("swap")]
    assert len(swaps) == 1 and swaps[0] > fell[0]  # the fallback started a cycle at once; it published a refit
    assert (frame.tree_version.iloc[fell[0] : swaps[0]] == 0).all() and frame.tree_version.iloc[swaps[0]] == 2
    later = frame.iloc[swaps[0] :]
    later = later[~later.restart]
    assert (later.objective >= 0.99 * later.safe_objective).all()
    assert summary["below_safe_default_max_run_outside_restarts"] <= 3


def test_a_failing_slow_tier_falls_back_to_the_safe_default(tmp_path, cache, monkeypatch):
    from dpdktune.runtime.slowtier import SlowTier

    def broken(self, *args, **kwargs):
        raise RuntimeError("injected slow-tier failure")

    monkeypatch.setattr(SlowTier, "cycle", broken)
    config, _ = tiny_config(tmp_path, distill_every_s=10.0)
    scn = scenario(tmp_path, SHIFT_AND_NOVEL[:1])
    summary = Run(config, scn, 30, tmp_path / "out", "adaptive", seed=1, cache_dir=cache).run()
    frame = pd.read_parquet(tmp_path / "out" / "timeline.parquet")
    assert summary["fallbacks"] >= 1
    first = frame.index[frame.events.str.contains("fallback")][0]
    assert (frame.tree_version.iloc[first:] == 0).all()
    assert (frame.config.iloc[first + 1 :] == probe_safe(frame, summary)).all()


def probe_safe(frame, summary):
    s = summary["safe_default"]
    hit = frame[(frame.rx_desc == s["rx_desc"]) & (frame.tx_desc == s["tx_desc"]) & (frame.cores == s["cores"])]
    return int(hit.config.iloc[0])


@pytest.mark.slow
def test_kill_9_and_rerun_resumes_to_the_same_timeline(tmp_path, cache):
    _, cfg_path = tiny_config(tmp_path, checkpoint_every_s=20.0)
    scn = scenario(
        tmp_path,
        [
            {
                "shifts": {
                    "duration_s": 3600,
                    "workloads": ["imix", "kv", "web"],
                    "every_s": [60, 120],
                    "load_scale": [0.2, 1.0],
                    "seed": 2,
                }
            }
        ],
    )
    env = cli_env()
    cmd = run_command(scn, cfg_path, 6000, "--seed", "1", "--twin-cache", str(cache))
    clean = subprocess.run(
        cmd + ["--out", str(tmp_path / "clean")], env=env, capture_output=True, text=True, timeout=600
    )
    assert clean.returncode == 0, clean.stderr
    killed = tmp_path / "killed"
    proc = subprocess.Popen(cmd + ["--out", str(killed)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = killed / "state.json"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if state.exists() and json.loads(state.read_text())["part"] >= 3:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (killed / "summary.json").exists(), "the run finished before it was killed; lengthen it"
    again = subprocess.run(cmd + ["--out", str(killed)], env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    a = pd.read_parquet(tmp_path / "clean" / "timeline.parquet").drop(columns="rss_mb")
    b = pd.read_parquet(killed / "timeline.parquet").drop(columns="rss_mb")
    pd.testing.assert_frame_equal(a, b)


def test_bad_arguments_are_one_line_errors(tmp_path):
    _, cfg_path = tiny_config(tmp_path)
    scn = scenario(tmp_path, SHIFT_AND_NOVEL[:1])
    env = cli_env()
    base = run_command(scn, cfg_path, 5, "--out", str(tmp_path / "o"))
    for extra, needle in ((["--policy", "magic"], "--policy"), (["--backend", "magic"], "--backend")):
        proc = subprocess.run(base + extra, env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and needle in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_a_changed_setting_refuses_to_resume_a_run_of_the_old_one(tmp_path, cache):
    config, _ = tiny_config(tmp_path)
    scn = scenario(tmp_path, SHIFT_AND_NOVEL[:1])
    Run(config, scn, 20, tmp_path / "out", "fast-only", seed=1, cache_dir=cache).run()
    changed, _ = tiny_config(tmp_path, tree_depth=3)
    with pytest.raises(ValueError, match="other arguments"):
        Run(changed, scn, 20, tmp_path / "out", "fast-only", seed=1, cache_dir=cache).run()
