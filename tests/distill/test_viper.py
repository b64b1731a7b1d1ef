import numpy as np

from dpdktune.distill.policy import TreePolicy
from dpdktune.distill.viper import fit_viper
from dpdktune.rl.evaluate import closed_loop


def test_viper_keeps_the_best_iterate(teacher, landscape, env_settings):
    tree, history = fit_viper(teacher, landscape, env_settings, depth=3, min_samples_leaf=1, mask=None,
                              iterations=3, episodes=1, decisions=3, seed=0)
    assert len(history) == 3
    reward = closed_loop(TreePolicy(tree, teacher.normalizer), landscape, teacher.normalizer, 3, env_settings)
    assert reward["reward"].mean() == max(history)
    assert tree.get_depth() <= 3
    assert np.isin(tree.classes_, np.arange(landscape.n_actions)).all()
