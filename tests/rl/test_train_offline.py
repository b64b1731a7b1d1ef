import os

import numpy as np
import pytest
from dpdktune.rl import dataset
from dpdktune.rl.env import EnvSettings
from dpdktune.rl.settings import RLSettings
from dpdktune.rl.train_offline import train_offline

SETTINGS = RLSettings(device="cpu", offline_steps=30, eval_every=10, batch_size=16, hidden=(16,))


@pytest.mark.parametrize("name", ["cql", "bcq"])
def test_offline_training_is_seeded_and_writes_no_logs(name, landscape, normalizer, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mdp, arrays = dataset.build(landscape, normalizer, EnvSettings(episode_steps=100), 2, seed=0)
    score = {"calls": 0}

    def evaluate(algo):
        score["calls"] += 1
        return {"train_final": 0.5}

    algo, curve = train_offline(name, mdp, SETTINGS, evaluate)
    assert curve.step.tolist() == [0, 10, 20, 30]
    assert score["calls"] == 4
    assert os.listdir(tmp_path) == [], "d3rlpy must not write d3rlpy_logs/ into the working directory"
    again, _ = train_offline(name, mdp, SETTINGS, evaluate)
    obs = arrays["observations"][:50]
    assert np.array_equal(algo.predict(obs), again.predict(obs))
    assert np.allclose(algo.predict_value(obs, algo.predict(obs)), again.predict_value(obs, again.predict(obs)))


def test_an_online_algorithm_is_refused_offline():
    with pytest.raises(ValueError, match="not an offline algorithm"):
        train_offline("ppo", None, SETTINGS, lambda a: {})
