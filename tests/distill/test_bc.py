import numpy as np
from dpdktune.distill.bc import bc_data


def test_bc_labels_the_teachers_own_states_with_its_actions(teacher, landscape, env_settings):
    X, y, w = bc_data(teacher, landscape, env_settings, episodes=1, seed=0)
    assert len(X) == len(y) == env_settings.episode_steps
    assert np.array_equal(y, teacher.act_raw(X))
    assert (w == 1).all() and np.isfinite(X).all()
