import os

import numpy as np
import pytest
from dpdktune.rl.env import EnvSettings
from dpdktune.rl.experiment import online_env
from dpdktune.rl.settings import RLSettings
from dpdktune.rl.train_online import train_online


@pytest.mark.parametrize("env_kind", ["sim", "replay"])
def test_double_dqn_learns_online_seeded_without_logs(env_kind, config, landscape, normalizer, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = RLSettings(
        device="cpu", online_steps=60, eval_every=20, batch_size=16, hidden=(16,), online_env=env_kind
    )

    def run():
        env, backend = online_env(config, landscape, normalizer, EnvSettings(episode_steps=100), settings, 0)
        try:
            return train_online("double_dqn", env, settings, lambda algo: {"train_final": 1.0})
        finally:
            if backend is not None:
                backend.close()

    algo, curve = run()
    assert curve.step.tolist() == [0, 20, 40, 60]
    assert os.listdir(tmp_path) == []
    again, _ = run()
    obs = normalizer.transform(landscape.all_feature_rows())
    assert np.array_equal(algo.predict(obs), again.predict(obs))
