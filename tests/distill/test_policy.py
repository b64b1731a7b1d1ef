import numpy as np
from dpdktune.distill.policy import TreePolicy, rollout_states
from dpdktune.rl.env import ReplayEnv


def test_the_teacher_acts_the_same_on_raw_and_normalized_states(teacher, landscape):
    raw = landscape.all_feature_rows()
    assert np.array_equal(teacher.act_raw(raw), teacher.predict(teacher.normalizer.transform(raw)))


def test_viper_weights_are_the_q_gap(teacher, landscape):
    raw = landscape.all_feature_rows()[:20]
    q = teacher.q_raw(raw)
    assert q.shape == (20, landscape.n_actions)
    assert np.argmax(q, axis=1).tolist() == teacher.act_raw(raw).tolist()
    assert np.allclose(teacher.weights_raw(raw), q.max(axis=1) - q.min(axis=1))


def test_rollouts_record_the_raw_states_the_policy_sees(teacher, landscape, env_settings):
    env = ReplayEnv(landscape, teacher.normalizer, env_settings)
    states = rollout_states(env, teacher.act_raw, episodes=1, seed=0)
    assert states.shape == (env_settings.episode_steps, landscape.features.shape[-1])
    recorded = {tuple(r) for r in landscape.all_feature_rows()}
    assert all(tuple(s) in recorded for s in states)


def test_tree_policy_reads_raw_features_through_the_normalized_interface(teacher, landscape):
    from sklearn.tree import DecisionTreeClassifier

    raw = teacher.normalizer.impute(landscape.all_feature_rows())
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(raw.astype(np.float32), teacher.act_raw(raw))
    policy = TreePolicy(tree, teacher.normalizer)
    assert np.array_equal(policy.predict(teacher.normalizer.transform(raw)), policy.predict_raw(raw))
