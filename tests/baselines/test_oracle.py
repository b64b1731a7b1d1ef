import numpy as np
import pandas as pd
from dpdktune.baselines import Oracle


def test_oracle_picks_each_workloads_best_and_skips_failed_configs():
    table = pd.DataFrame([[1.0, np.nan, 3.0], [np.nan, 2.0, 1.0]], index=["a", "b"])
    X = pd.DataFrame(
        {"f": [0.0, 0.0, 0.0]},
        index=pd.MultiIndex.from_tuples([("b", 0), ("a", 0), ("a", 1)], names=["workload", "trial"]),
    )
    assert list(Oracle(table).fit(X, None).predict(X)) == [1, 2, 2]
