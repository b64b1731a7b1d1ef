"""The scikit-learn contract every baseline keeps (estimator-specific facts are in test_<module>.py)."""

import pytest
from dpdktune.baselines import LinearBaseline, LookupTable, Oracle, RuleBased, StaticBest, TreeBaseline
from dpdktune.baselines.evaluate import targets
from dpdktune.fingerprint import fingerprints
from dpdktune.knobs import expand_grid
from dpdktune.objective import objective_table
from sklearn.base import clone


def _make(name, grid, table):
    return {
        "static": StaticBest(),
        "rules": RuleBased(grid),
        "lookup": LookupTable(grid, n_entries=4),
        "linear": LinearBaseline(grid),
        "tree": TreeBaseline(),
        "oracle": Oracle(table),
    }[name]


@pytest.mark.parametrize("name", ["static", "rules", "lookup", "linear", "tree", "oracle"])
def test_contract(name, records, config):
    grid = expand_grid(config["grid"])
    X = fingerprints(records, config)
    table = objective_table(records, config)
    est = _make(name, grid, table)
    before = {k: v for k, v in vars(est).items()}
    assert not any(k.endswith("_") for k in before)  # __init__ only stores params
    fitted = est.fit(X, targets(X, table))
    assert fitted is est
    assert any(k.endswith("_") for k in vars(est))
    pred = est.predict(X)
    assert pred.dtype.kind == "i" and pred.shape == (len(X),)
    assert ((0 <= pred) & (pred < len(grid))).all()
    assert clone(est).get_params().keys() == est.get_params().keys()
