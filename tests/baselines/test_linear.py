import numpy as np
from dpdktune.baselines import LinearBaseline
from dpdktune.knobs import expand_grid

GRID = expand_grid({"rx_desc": [128, 256, 512, 1024, 2048], "tx_desc": [512], "cores": [1, 4], "burst": [32]})


def test_linear_predicts_knobs_that_scale_with_a_metric():
    x = np.linspace(0, 1, 40)[:, None]
    rx_best = np.round(x[:, 0] * 4).astype(int)  # log2 step 0..4 -> rx 128..2048
    y = np.ones((40, len(GRID)))
    for i, r in enumerate(rx_best):
        y[i, GRID.index(next(k for k in GRID if k.rx_desc == 128 * 2**r and k.cores == 4))] = 2.0
    model = LinearBaseline(GRID, alpha=1e-6).fit(x, y)
    pred = [GRID[i] for i in model.predict(np.array([[0.0], [1.0]]))]
    assert [k.rx_desc for k in pred] == [128, 2048]
    assert all(k.cores == 4 for k in pred)
