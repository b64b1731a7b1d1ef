import pytest
from dpdktune.dataset_arrays import Landscape
from dpdktune.distill.policy import Teacher
from dpdktune.distill.settings import DistillSettings
from dpdktune.rl.env import EnvSettings
from dpdktune.rl.experiment import load_model
from rl_data import tiny_config, tiny_records, train_all


@pytest.fixture(scope="session")
def config():
    return tiny_config(rl={"algorithms": ["cql", "ppo"]})


@pytest.fixture(scope="session")
def records(config, tmp_path_factory):
    return tiny_records(config, tmp_path_factory.mktemp("campaign"))


@pytest.fixture(scope="session")
def landscape(records, config):
    return Landscape.from_records(records, config)


@pytest.fixture(scope="session")
def trained(config, records, tmp_path_factory):
    return train_all(config, records, tmp_path_factory.mktemp("rl"))


@pytest.fixture(scope="session")
def rl_summary(trained):
    from dpdktune.rl.summarize import summarize

    return summarize(trained["scores"], trained["curves"], trained["timing"])[2]


@pytest.fixture(scope="session")
def teacher(trained):
    model, normalizer, _ = load_model(trained["deployed_dir"] / "cql" / "all.json", "cpu")
    return Teacher(model, normalizer, "cql")


@pytest.fixture()
def env_settings(config):
    return EnvSettings.from_config(config["rl"])


@pytest.fixture()
def ds(config):
    return DistillSettings.from_config(config["distill"])
