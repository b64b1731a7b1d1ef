import numpy as np
import pandas as pd
import pytest
from dpdktune.runtime.guard import offered_and_frame, traffic_key
from dpdktune.runtime.loop import Run
from dpdktune.runtime.twin import Twin

from .helpers import SHIFT_AND_NOVEL, scenario, tiny_config


def _setup(tmp_path, cache, phases=SHIFT_AND_NOVEL[:1], policy="fast-only", duration=10):
    config, _ = tiny_config(tmp_path)
    run = Run(config, scenario(tmp_path, phases), duration, tmp_path / "out", policy, seed=1, cache_dir=cache)
    run._setup()
    return run


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("twin")


def _observe(run, workload, level, config, trials=2):
    """The live intervals of one world cell under `config`, as the data plane measures them."""
    cell = run.twin.cell(workload, level)
    sigs = []
    for j in range(trials):
        x = cell.live_features[config, j]
        sig = traffic_key(x, run.twin.features)
        run.slow.observe(sig, config, x)
        sigs.append(sig)
    return sigs, cell


def test_known_traffic_is_matched_to_its_own_campaign_cell_by_its_features(tmp_path, cache):
    run = _setup(tmp_path, cache)
    for w, lv in run.campaign_cells:
        for config in (run.safe, 0, len(run.twin.grid) - 1):
            sigs, _ = _observe(run, w, lv, config)
            assert {run.slow.target(s) for s in sigs} == {(w, lv)}, (w, lv, config)
    assert not run.slow.identified


def test_two_kinds_of_traffic_with_one_signature_each_get_their_own_cell(tmp_path, cache):
    run = _setup(tmp_path, cache)
    a = run.twin.cell("kv", 1.0).live_features[run.safe, 0]
    b = run.twin.cell("web", 1.0).live_features[run.safe, 0]
    sig = traffic_key(a, run.twin.features)
    for _ in range(20):  # a long run of kv, then web under the same signature
        run.slow.observe(sig, run.safe, a)
    assert run.slow.target(sig) == ("kv", 1.0)
    for _ in range(10):
        run.slow.observe(sig, run.safe, b)
    assert run.slow.target(sig) == ("web", 1.0)


def test_novel_traffic_gets_a_cell_identified_from_measurements_never_its_definition(tmp_path, cache):
    run = _setup(tmp_path, cache)
    sigs, cell = _observe(run, "video", 1.0, run.safe)
    targets = {run.slow.target(s) for s in sigs}
    assert all(t not in run.slow.campaign_cells for t in targets)
    for name, _lv in targets:
        spec = run.slow.twin.catalogue[name]
        assert spec.name.startswith("identified-") and "video" not in spec.name
        assert spec.arrival == run.twin.catalogue[run.slow.identified[name][0]].arrival  # a training shape
        assert spec.app_cycles == run.slow.identified[name][2]  # per-packet work fitted to the features
        rate, frame = offered_and_frame(cell.live_features[run.safe, 0], run.twin.features)
        assert spec.offered_mpps == pytest.approx(rate, rel=0.03)  # the measured rate, within its bucket
        assert spec.mean_size == pytest.approx(frame, rel=0.04)
    # the slow tier's twin cannot read the held-out workload, not even a cell the world simulated
    with pytest.raises(KeyError, match="video"):
        run.slow.twin.cell("video", 1.0)
    # before a cycle simulated the identified cell, its estimate is the nearest campaign cell's
    nearest = {run.slow.identified[t[0]][0] for t in targets}
    assert nearest <= set(run.train)
    assert np.isfinite(run.slow.estimate(sigs[0], run.safe))


def test_the_slow_tier_calibrates_the_twin_on_measured_objectives(tmp_path, cache):
    run = _setup(tmp_path, cache)
    slow = run.slow
    cell = run.twin.cell("imix", 1.0)
    best = cell.best_train
    x = cell.live_features[best, 0]
    sig = traffic_key(x, run.twin.features)
    for t in range(3):  # the twin's best config measured far worse live
        slow.observe(sig, best, x)
        slow.record(float(t), sig, best, x, cell.objective_train[best] * 0.1)
    slow.record(3.0, sig, best, x, None)  # a restart interval is not a measurement
    assert not slow.surprised(sig, best, cell.objective_train[best] * 0.1, 0.1)
    assert slow.surprised(sig, best, cell.objective_train[best] * 0.2, 0.1)
    assert slow.surprised(sig, (best + 1) % len(run.twin.grid), 0.0, 0.1) == (
        cell.objective_train[(best + 1) % len(run.twin.grid)] > 0
    )
    measured = slow.measured()
    assert measured == {("imix", 1.0): {best: pytest.approx(cell.objective_train[best] * 0.1)}}
    assert slow.estimate(sig, best) == pytest.approx(cell.objective_train[best] * 0.1)
    assert slow.recent_cells(3.0) == [("imix", 1.0)]
    calibrated = slow.objective(("imix", 1.0), measured)
    assert np.argmax(calibrated) != best
    table = slow.fit_table([("imix", 1.0)], measured)
    from dpdktune.treelayout import compile_table, decide

    picks = decide(
        compile_table({**table, "confidence_threshold": 0.0}),
        np.asarray(cell.train_features.reshape(-1, cell.features.shape[-1]), np.float32),
    )
    assert np.mean(picks == best) < 0.5  # the refit stops sending this traffic to it


def test_an_adaptive_run_never_asks_the_twin_for_a_workload_by_the_scenarios_name(tmp_path, cache, monkeypatch):
    """The slow tier learns a novel workload (video) from measurements: its twin never reads the
    video cell, though the world (the same simulator) runs it."""
    calls = []
    cell = Twin.cell

    def spy(self, workload, level):
        calls.append((self, workload))
        return cell(self, workload, level)

    monkeypatch.setattr(Twin, "cell", spy)
    config, _ = tiny_config(tmp_path)
    run = Run(config, scenario(tmp_path, SHIFT_AND_NOVEL), 140, tmp_path / "run", "adaptive", seed=1, cache_dir=cache)
    summary = run.run()
    frame = pd.read_parquet(tmp_path / "run" / "timeline.parquet")
    assert (frame.workload == "video").sum() == 60 and summary["slow_cycles"] >= 1
    assert "video" not in run.slow.twin.catalogue
    asked = {w for twin, w in calls if twin is run.slow.twin}
    world = {w for twin, w in calls if twin is run.twin}
    assert "video" in world and "video" not in asked
    assert any(w.startswith("identified-") for w in asked)  # it replayed a cell it identified itself
    assert asked <= set(run.train) | set(run.slow.identified)


def test_the_slow_tier_state_survives_a_restore(tmp_path, cache):
    run = _setup(tmp_path, cache)
    sigs, cell = _observe(run, "video", 1.0, run.safe)
    run.slow.record(0.0, sigs[0], run.safe, cell.live_features[run.safe, 0], 1.5)
    run.slow.save_buffer(tmp_path / "buffer.npz")
    state = run.slow.state()
    (tmp_path / "again").mkdir()
    again = _setup(tmp_path / "again", cache)
    again.slow.restore(state)
    again.slow.load_buffer(tmp_path / "buffer.npz")
    assert again.slow.target_of == run.slow.target_of and again.slow.identified == run.slow.identified
    assert list(again.slow.buffer)[0][:3] == list(run.slow.buffer)[0][:3]
    assert again.slow.measured() == run.slow.measured()
    assert again.slow.recent_cells(0.0) == run.slow.recent_cells(0.0)


def test_the_fit_recovers_a_known_workloads_per_packet_work_and_arrivals_from_its_features(tmp_path, cache):
    """kv (800 cycles a packet) and imix (none), fitted from one live interval each: the per-packet work
    and the arrival process come back (kv and web, both Poisson with the same mean frame size once
    fitted, are not told apart by these features)."""
    run = _setup(tmp_path, cache)
    for workload in ("kv", "imix"):
        spec = run.twin.catalogue[workload]
        x = run.twin.cell(workload, 1.0).live_features[run.safe, 0]
        shape, cycles = run.slow.fit_workload(traffic_key(x, run.twin.features), run.safe, x)
        assert cycles == spec.app_cycles and run.twin.catalogue[shape].arrival == spec.arrival, (workload, shape)


def _identified_from_live(run, workload="reqheavy", level=1.0):
    """A novel workload's live intervals under the safe default, observed and recorded: (its identified
    cell, the features the data plane measured, the live rows a cycle reads)."""
    cell = run.twin.cell(workload, level)
    X = cell.live_features[run.safe]
    for j, x in enumerate(X):
        sig = traffic_key(x, run.twin.features)
        run.slow.observe(sig, run.safe, x)
        run.slow.record(float(j), sig, run.safe, x, float(cell.objective[run.safe]))
    key = run.slow.target(sig)
    assert key not in run.slow.campaign_cells
    return key, np.nan_to_num(X).astype(np.float32), run.slow.live_rows(float(len(X) - 1))


def test_a_refit_for_identified_traffic_serves_its_live_features_and_still_gates_the_rest(tmp_path, cache):
    """reqheavy's identified cell (a training shape with fitted per-packet work) is close to, not equal
    to, the real traffic: a tree fitted on the twin's simulation of it alone puts every live interval
    outside its leaf boxes (the safe default, every interval). With the measured rows among the
    cell's training rows the tree decides the cell's own label there, and the gate still catches
    inputs outside the training range."""
    from dpdktune.distill.fallback import fallback_mask
    from dpdktune.runtime.slowtier import robust_label
    from dpdktune.treelayout import compile_table, decide

    run = _setup(tmp_path, cache)
    slow = run.slow
    key, X, live = _identified_from_live(run)
    measured = slow.measured()
    twin_only = slow.fit_table([key], measured)
    assert fallback_mask(twin_only, X).all()  # the failure this fixes
    table = slow.fit_table([key], measured, live)
    assert not fallback_mask(table, X).any()
    label = robust_label(slow.objective(key, measured), slow.headroom, float(slow.s["label_tie_share"]))
    assert label != run.safe and (decide(compile_table(table), X) == label).all()
    # kept for later refits (bounded per config), not only while the rows are in the buffer
    assert len(slow._live_block(key)) == len(X) and (slow.fit_table([key], measured) == table)
    far = X.copy()
    far[:, list(run.twin.features).index("rx_mpps")] *= 50  # a rate no training row comes near
    assert fallback_mask(table, far).all()
    (tmp_path / "again").mkdir()
    again = _setup(tmp_path / "again", cache)
    again.slow.restore(slow.state())
    assert np.array_equal(again.slow._live_block(key), slow._live_block(key))


def test_shadow_validation_scores_trees_through_the_gate_on_the_features_measured_live(tmp_path, cache):
    """Shadow validation runs each tree as fp_decide would, on what the data plane measured under the
    configs that ran: the tree fitted on the twin's rows alone falls back to the safe default on
    reqheavy's live features, the one fitted with them does not, and only the live features show it
    (on the twin's simulated features both trees look alike)."""
    from dpdktune.codegen.pack import write_fpt
    from dpdktune.treelayout import compile_table

    run = _setup(tmp_path, cache)
    slow, lib = run.slow, run.lib
    key, _, live = _identified_from_live(run)
    measured = slow.measured()
    handles = []
    for name, rows in (("twin", None), ("live", live)):
        fpt = write_fpt(compile_table(slow.fit_table([key], measured, rows)), tmp_path / f"{name}.fpt")
        handles.append(lib.load(fpt))
    twin_tree, live_tree = ((lambda x, h=h: lib.tree_decide(h, x)) for h in handles)
    gain = float(slow.s["shadow_min_gain"])
    # the recent traffic replayed as it ran (what a cycle scores), and each cell closed-loop
    for score in (
        lambda tree: slow.replay(tree, live, measured),
        lambda tree: slow.rollout(tree, [key], run.safe, measured, live),
    ):
        safe, falls_back, serves = (score(tree) for tree in (lambda x: run.safe, twin_tree, live_tree))
        assert falls_back == pytest.approx(safe)  # it falls back every decision, as it would live
        assert serves > falls_back * (1 + gain)
    on_twin = slow.rollout(twin_tree, [key], run.safe, measured)
    assert on_twin > falls_back * (1 + gain)  # the twin's features alone hide the fallback
    for h in handles:
        lib.free(h)


def test_the_replay_charges_a_tree_that_flips_rings_with_alternating_traffic(tmp_path, cache):
    """Two cells alternating interval by interval (on/off traffic straddling two signatures): a tree
    that changes rings with every alternation pays a restart each time in the replay, one that holds
    a config does not."""
    run = _setup(tmp_path, cache)
    slow, grid = run.slow, run.twin.grid
    a, b = ("imix", 1.0), ("kv", 1.0)
    other = next(c for c in range(len(grid)) if run.twin.restarts(run.safe, c))
    live = {a: [], b: []}
    for t in range(20):
        key = (a, b)[t % 2]
        live[key].append((float(t), run.safe, run.twin.cell(*key).live_features[run.safe, 0]))
    kv_x = run.twin.cell(*b).live_features[run.safe, 0]

    def flips(x):  # the other rings after kv's interval, the safe default's after imix's
        return other if np.allclose(x, np.nan_to_num(kv_x)) else run.safe

    rf = slow.restart_factor
    obj = {key: slow.objective(key, None) for key in (a, b)}
    # from the second decision on every one changes rings: after kv's interval to `other` (on imix's
    # traffic), then back to the safe default (on kv's)
    earned = [obj[b][run.safe]] + [obj[a][other] * rf if k % 2 == 0 else obj[b][run.safe] * rf for k in range(2, 20)]
    oracle = sum(obj[(a, b)[k % 2]].max() for k in range(1, 20))
    assert slow.replay(flips, live) == pytest.approx(sum(earned) / oracle)
    holds = sum(obj[(a, b)[k % 2]][run.safe] for k in range(1, 20)) / oracle
    assert slow.replay(lambda x: run.safe, live) == pytest.approx(holds)
