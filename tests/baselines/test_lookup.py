import numpy as np
from dpdktune.baselines import LookupTable
from dpdktune.knobs import Knobs

GRID = [Knobs(128, 128, 1), Knobs(2048, 128, 1), Knobs(128, 2048, 16)]


def test_lookup_matches_unseen_fingerprints_to_the_nearest_entry():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [5.0, 5.0], [0.0, 5.0]])
    x = np.vstack([c + rng.normal(0, 0.2, size=(10, 2)) for c in centres])
    y = np.ones((30, 3))
    for i in range(3):
        y[i * 10 : (i + 1) * 10, i] = 2.0
    model = LookupTable(GRID, n_entries=3, n_key_features=2).fit(x, y)
    assert len(model.keys_) == 3
    assert list(model.predict(centres + 0.3)) == [0, 1, 2]


def test_entries_never_exceed_distinct_samples():
    x = np.array([[1.0], [1.0], [2.0]])
    model = LookupTable(GRID, n_entries=16, n_key_features=1).fit(x, np.eye(3))
    assert len(model.keys_) == 2
