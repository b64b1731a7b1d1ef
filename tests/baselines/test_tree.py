import numpy as np
from dpdktune.baselines import TreeBaseline


def test_tree_depth_is_bounded_and_learns_a_split():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(100, 3))
    y = np.ones((100, 4))
    y[np.arange(100), (x[:, 2] > 0.5).astype(int) * 3] = 2.0
    model = TreeBaseline(max_depth=2).fit(x, y)
    assert model.model_.get_depth() <= 2
    assert list(model.predict(np.array([[0.5, 0.5, 0.1], [0.5, 0.5, 0.9]]))) == [0, 3]
