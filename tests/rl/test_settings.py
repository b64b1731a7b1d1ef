import pytest
from dpdktune.rl.settings import RLSettings, resolve_device


def test_settings_come_from_the_config_section(config):
    s = RLSettings.from_config(config["rl"])
    assert s.algorithms == ("cql", "double_dqn", "ppo")
    assert s.hidden == (16,)
    assert s.to_dict()["offline_steps"] == 40


def test_auto_device_is_cuda_only_when_present():
    import torch

    assert resolve_device("auto") == ("cuda:0" if torch.cuda.is_available() else "cpu:0")
    assert resolve_device("cpu") == "cpu:0"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="rl.device"):
            resolve_device("cuda")
