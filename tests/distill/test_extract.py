import numpy as np

from dpdktune.distill.extract import dense_states, extract_data


def test_the_dense_sample_covers_every_recorded_state_plus_synthetic_ones(teacher, landscape):
    X = dense_states(landscape, teacher.normalizer, synthetic=300, seed=0)
    recorded = teacher.normalizer.impute(landscape.all_feature_rows())
    assert len(X) == len(recorded) + 300
    assert np.array_equal(X[:len(recorded)], recorded)
    assert (X >= 0).all()
    lo, hi = recorded.min(axis=0), recorded.max(axis=0)
    inside = ((X[len(recorded):] >= lo - 0.2 * teacher.normalizer.scale)
              & (X[len(recorded):] <= hi + 0.2 * teacher.normalizer.scale))
    assert inside.all(), "synthetic states lie between recorded ones (plus a small jitter)"


def test_extraction_labels_are_argmax_q(teacher, landscape):
    X, y, w = extract_data(teacher, landscape, synthetic=100, seed=1)
    assert np.array_equal(y, np.argmax(teacher.q_raw(X), axis=1))
