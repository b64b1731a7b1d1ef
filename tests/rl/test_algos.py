from dpdktune.rl.algos import make_algo
from dpdktune.rl.settings import RLSettings


def test_cql_takes_its_conservative_weight_from_the_config():
    settings = RLSettings.from_config({"cql_alpha": 0.1, "hidden": [8]})
    assert make_algo("cql", settings).config.alpha == 0.1
    assert make_algo("cql", RLSettings()).config.alpha == 1.0


def test_the_conservative_weight_is_not_passed_to_other_learners():
    algo = make_algo("double_dqn", RLSettings.from_config({"cql_alpha": 0.1, "hidden": [8]}))
    assert not hasattr(algo.config, "alpha")
