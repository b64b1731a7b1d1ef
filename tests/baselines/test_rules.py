import numpy as np
from dpdktune.baselines import RuleBased
from dpdktune.knobs import Knobs

GRID = [Knobs(128, 128, 1), Knobs(2048, 128, 1), Knobs(128, 2048, 16)]


def _data(n=60, seed=0):
    """Config 1 is best when feature 0 is high, config 2 when feature 1 is high, else config 0."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(n, 3))
    y = np.full((n, 3), 1.0)
    best = np.where(x[:, 0] > 0.7, 1, np.where(x[:, 1] > 0.6, 2, 0))
    y[np.arange(n), best] = 2.0
    return x, y, best


def test_rules_recover_planted_thresholds():
    x, y, best = _data()
    model = RuleBased(GRID, max_rules=3, n_features=3).fit(x, y)
    xt, _, bt = _data(200, seed=1)
    assert (model.predict(xt) == bt).mean() > 0.9
    assert 1 <= len(model.rules_) <= 3
    lines = model.describe(["f0", "f1", "f2"], GRID)
    assert lines[-1].startswith("else:") and lines[0].startswith("if ")


def test_rules_stop_when_nothing_gains():
    x = np.random.default_rng(0).uniform(size=(20, 2))
    y = np.tile([1.0, 3.0, 2.0], (20, 1))  # config 1 best for everyone: no rule helps
    model = RuleBased(GRID).fit(x, y)
    assert model.rules_ == [] and model.default_ == 1
