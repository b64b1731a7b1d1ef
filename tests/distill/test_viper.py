import numpy as np
from dpdktune.distill.policy import TreePolicy
from dpdktune.distill.viper import fit_viper
from dpdktune.rl.evaluate import closed_loop


def test_viper_keeps_the_best_iterate(teacher, landscape, env_settings):
    tree, history = fit_viper(
        teacher,
        landscape,
        env_settings,
        depth=3,
        min_samples_leaf=1,
        mask=None,
        iterations=3,
        episodes=1,
        decisions=3,
        seed=0,
    )
    assert len(history) == 3
    reward = closed_loop(TreePolicy(tree, teacher.normalizer), landscape, teacher.normalizer, 3, env_settings)
    assert reward["reward"].mean() == max(history)
    assert tree.get_depth() <= 3
    assert np.isin(tree.classes_, np.arange(landscape.n_actions)).all()


def test_q_weighted_sampling_draws_states_in_proportion_to_their_q_gap():
    from dpdktune.distill.viper import q_weighted_sample

    pick = q_weighted_sample(20000, np.array([0.0, 1.0, 3.0]), seed=0)
    counts = np.bincount(pick, minlength=3) / len(pick)
    assert counts[0] == 0 and abs(counts[2] / counts[1] - 3.0) < 0.2
    assert np.bincount(q_weighted_sample(3000, np.zeros(3), 0), minlength=3).min() > 900  # all-zero gaps: uniform


def test_diverse_roll_outs_start_away_from_the_default_config(teacher, landscape, env_settings):
    from dpdktune.distill.policy import rollout_states
    from dpdktune.rl.env import ReplayEnv

    env = ReplayEnv(landscape, teacher.normalizer, env_settings)
    at_default = {tuple(r) for r in landscape.features[:, landscape.default_action].reshape(-1, 9).round(9)}

    def starts(diverse):
        states = rollout_states(env, teacher.act_raw, 8, 0, diverse=diverse)[:: env_settings.episode_steps]
        return [tuple(r) in at_default for r in states.round(9)]

    assert all(starts(False))
    assert sum(starts(True)) < 8  # (1 in 4 configs is the default one here)


def test_dense_states_join_the_first_aggregate_and_zero_keeps_recorded_states_only(teacher, landscape, env_settings):
    def first_tree(dense: int):
        tree, _ = fit_viper(
            teacher,
            landscape,
            env_settings,
            3,
            1,
            None,
            iterations=1,
            episodes=1,
            decisions=3,
            seed=0,
            dense_states=dense,
        )
        return tree

    plain, dense = first_tree(0), first_tree(300)
    # each fit draws as many states as the aggregate holds: recorded + dense + one roll-out
    assert dense.tree_.n_node_samples[0] - plain.tree_.n_node_samples[0] == 300
    assert plain.tree_.n_node_samples[0] > len(landscape.all_feature_rows())
