import numpy as np
import pytest
from dpdktune.rl import dataset
from dpdktune.rl.env import EnvSettings


def test_the_mdp_dataset_has_discrete_actions_and_time_limit_episodes(landscape, normalizer):
    import d3rlpy

    settings = EnvSettings(episode_steps=100)
    mdp, arrays = dataset.build(landscape, normalizer, settings, episodes=3, seed=0)
    assert mdp.dataset_info.action_space == d3rlpy.ActionSpace.DISCRETE
    assert mdp.dataset_info.action_size == landscape.n_actions
    assert len(mdp.episodes) == 3
    assert all(len(e.rewards) == 100 and not e.terminated for e in mdp.episodes)
    assert arrays["terminals"].sum() == 0
    assert np.flatnonzero(arrays["timeouts"]).tolist() == [99, 199, 299]
    assert set(arrays["behaviour"]) == set(dataset.BEHAVIOURS)


def test_behaviour_policies_differ_as_documented(landscape, normalizer):
    arrays = dataset.collect(landscape, normalizer, EnvSettings(episode_steps=100), 6, seed=1, epsilon=0.1)
    reward = {b: arrays["rewards"][arrays["behaviour"] == b].mean() for b in dataset.BEHAVIOURS}
    assert reward["epsilon_oracle"] > reward["random"]
    local = arrays["actions"][arrays["behaviour"] == "local_search"]
    grid = landscape.grid
    moved = [
        sum(getattr(grid[a], f) != getattr(grid[b], f) for f in ("rx_desc", "tx_desc", "cores", "burst"))
        for a, b in zip(local[:-1], local[1:])
    ]
    assert set(moved[:50]) <= {0, 1}, "local search moves one knob per step"


def test_neighbours_move_one_knob_one_step(landscape):
    table = dataset.neighbours(landscape.grid)
    assert all(len(n) == 3 for n in table)  # 2-value axes rx, tx, cores; burst has one value


def test_an_unknown_behaviour_is_named(landscape, normalizer):
    with pytest.raises(ValueError, match="rl.behaviours: unknown behaviour 'greedy'"):
        dataset.collect(landscape, normalizer, EnvSettings(), 1, 0, behaviours=("greedy",))
