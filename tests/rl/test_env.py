import numpy as np
import pytest
from dpdktune.objective import OBJECTIVES
from dpdktune.rl.env import EnvSettings, ReplayEnv, SimEnv, restarts
from gymnasium.utils.env_checker import check_env


def test_replay_env_passes_the_gymnasium_checker(landscape, normalizer, env_settings):
    check_env(ReplayEnv(landscape, normalizer, env_settings), skip_render_check=True)


def test_a_step_returns_a_recorded_trial_of_the_chosen_config(landscape, normalizer, env_settings):
    env = ReplayEnv(landscape, normalizer, env_settings)
    env.reset(seed=1, options={"workload": "imix"})
    w = landscape.workloads.index("imix")
    same_rings = next(
        a for a in range(landscape.n_actions) if a != env.action and not restarts(landscape.grid, env.action, a)
    )
    obs, reward, terminated, truncated, info = env.step(same_rings)
    trials = [normalizer.transform(landscape.features[w, same_rings, s]) for s in range(2)]
    s = next(i for i, t in enumerate(trials) if np.array_equal(t, obs))
    assert reward == pytest.approx(landscape.objective[w, same_rings, s] / landscape.oracle()[w])
    assert info["restart"] is False and not terminated and not truncated
    assert np.array_equal(env.observe(), obs)
    assert np.array_equal(env.observe_raw(), landscape.features[w, same_rings, s])


def test_changing_a_ring_size_costs_the_port_restart(landscape, normalizer):
    settings = EnvSettings(restart_cost_s=1.0, decision_interval_s=4.0)
    env = ReplayEnv(landscape, normalizer, settings)
    env.reset(seed=0, options={"workload": "flood64"})
    other_ring = next(a for a in range(landscape.n_actions) if restarts(landscape.grid, env.action, a))
    _, reward, _, _, info = env.step(other_ring)
    assert info["restart"] is True
    assert reward == pytest.approx(0.75 * info["normalized_objective"])


def test_episodes_truncate_and_workloads_change_on_schedule(landscape, normalizer):
    env = ReplayEnv(landscape, normalizer, EnvSettings(episode_steps=100, workload_change_every=10))
    env.reset(seed=3)
    seen, changes, last = [], 0, env.workload
    for t in range(100):
        _, _, terminated, truncated, _ = env.step(t % landscape.n_actions)
        assert not terminated
        assert truncated == (t == 99)
        changes += env.workload != last
        last = env.workload
        seen.append(env.workload)
    assert changes == 10  # after steps 10, 20, ..., 100
    assert len(set(seen)) > 1


def test_the_same_seed_replays_the_same_episode(landscape, normalizer, env_settings):
    def episode(seed):
        env = ReplayEnv(landscape, normalizer, env_settings)
        obs, _ = env.reset(seed=seed)
        out = [obs]
        for a in range(20):
            out.append(env.step(a % landscape.n_actions)[0])
        return np.array(out)

    assert np.array_equal(episode(5), episode(5))
    assert not np.array_equal(episode(5), episode(6))


def test_settings_are_the_rl_sections_environment_keys(config):
    from dpdktune.sections import section

    rl = section(config, "rl")
    assert EnvSettings.from_settings(rl) == EnvSettings.from_config(config["rl"])
    assert EnvSettings() == EnvSettings.from_settings(section({}, "rl"))  # one set of defaults


def test_an_out_of_grid_action_is_refused(landscape, normalizer, env_settings):
    env = ReplayEnv(landscape, normalizer, env_settings)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(landscape.n_actions)


def test_sim_env_runs_the_simulator_each_step(landscape, normalizer, env_settings, config):
    from dpdktune.backends import make_backend
    from dpdktune.campaign.plan import campaign_workloads, load_campaign_hardware

    backend = make_backend(config)
    oracle = dict(zip(landscape.workloads, landscape.oracle()))
    env = SimEnv(
        backend,
        load_campaign_hardware(config),
        campaign_workloads(config),
        landscape.grid,
        landscape.default_action,
        normalizer,
        env_settings,
        oracle,
        config,
    )
    try:
        check_env(env, skip_render_check=True)
        env.reset(seed=0, options={"workload": "flood64"})
        best = int(np.argmax(landscape.normalized_mean()[landscape.workloads.index("flood64")]))
        rewards = [env.step(best)[1] for _ in range(3)]
        assert 0.8 < np.mean(rewards) < 1.2  # the oracle config scores ~1 up to trial noise
        assert np.isfinite(env.observe()).all()
        assert len({r for r in rewards}) > 1, "each step is a fresh run with its own seed"
    finally:
        backend.close()


def test_sim_env_needs_an_oracle_for_every_workload(landscape, normalizer, env_settings, config):
    from dpdktune.campaign.plan import campaign_workloads, load_campaign_hardware

    with pytest.raises(ValueError, match="oracle"):
        SimEnv(
            None,
            load_campaign_hardware(config),
            campaign_workloads(config),
            landscape.grid,
            landscape.default_action,
            normalizer,
            env_settings,
            {"flood64": 1.0},
            config,
        )


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_sim_env_features_and_objective_match_the_dataset_definitions(objective, config):
    import pandas as pd
    from dpdktune.backends import make_backend
    from dpdktune.backends.base import RunSpec
    from dpdktune.campaign.plan import campaign_workloads, load_campaign_hardware
    from dpdktune.fingerprint import feature_frame
    from dpdktune.knobs import expand_grid
    from dpdktune.objective import objective_values
    from dpdktune.rl.env import run_features, run_objective

    cfg = {**config, "objective": objective, "slo": {"p99_us": 30.0}}
    backend = make_backend(cfg)
    hardware = load_campaign_hardware(cfg)
    for i, (w, k) in enumerate(zip(campaign_workloads(cfg), expand_grid(cfg["grid"]))):
        result = backend.run(RunSpec(f"x{i}", w, hardware, k, 0, 7 + i))
        row = pd.DataFrame([{**result.metrics, **k.as_dict(), "status": "ok", "applied_cores": result.applied.cores}])
        assert np.allclose(run_features(result.metrics), feature_frame(row).to_numpy(float)[0], equal_nan=True)
        assert run_objective(result.metrics, k, result.applied, cfg) == pytest.approx(
            float(objective_values(row, cfg).iloc[0])
        )
    backend.close()
