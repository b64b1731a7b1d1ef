import numpy as np
from dpdktune.distill.extract import dense_states, extract_data


def test_the_dense_sample_covers_every_recorded_state_plus_synthetic_ones(teacher, landscape):
    X = dense_states(landscape, teacher.normalizer, synthetic=300, seed=0)
    recorded = teacher.normalizer.impute(landscape.all_feature_rows())
    assert len(X) == len(recorded) + 300
    assert np.array_equal(X[: len(recorded)], recorded)
    assert (X >= 0).all()
    lo, hi = recorded.min(axis=0), recorded.max(axis=0)
    inside = (X[len(recorded) :] >= lo - 0.2 * teacher.normalizer.scale) & (
        X[len(recorded) :] <= hi + 0.2 * teacher.normalizer.scale
    )
    assert inside.all(), "synthetic states lie between recorded ones (plus a small jitter)"


def test_extraction_labels_are_argmax_q(teacher, landscape):
    X, y, w = extract_data(teacher, landscape, synthetic=100, seed=1)
    assert np.array_equal(y, np.argmax(teacher.q_raw(X), axis=1))


def test_value_students_fit_the_teachers_q_or_the_recorded_values(teacher, landscape, env_settings, ds):
    from dpdktune.distill.policy import TreePolicy
    from dpdktune.distill.sweep import fit_student
    from dpdktune.distill.value import recorded_values, value_data

    X, q = value_data(teacher, landscape, 50, 0)
    assert q.shape == (len(X), landscape.n_actions)
    Xr, v = recorded_values(landscape, teacher.normalizer)
    assert len(Xr) == len(teacher.normalizer.impute(landscape.all_feature_rows()))
    assert v.shape == (len(Xr), landscape.n_actions) and np.allclose(v.max(axis=1), 1.0)  # objective / oracle
    for method in ("value", "recorded"):
        tree = fit_student(method, teacher, landscape, env_settings, ds, 6, 1, 0, 3, 0, {})
        assert tree.get_depth() <= 6
        picks = TreePolicy(tree, teacher.normalizer).predict_raw(Xr)
        target = q if method == "value" else v
        if method == "recorded":  # a deep enough tree tells the tiny campaign's workloads apart
            assert np.mean(v[np.arange(len(v)), picks]) > np.mean(v[:, landscape.default_action])
        assert picks.max() < landscape.n_actions and target.shape[1] == landscape.n_actions
