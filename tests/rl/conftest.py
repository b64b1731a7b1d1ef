import pytest
from dpdktune.dataset_arrays import Landscape, Normalizer
from dpdktune.rl.env import EnvSettings
from rl_data import tiny_config, tiny_records


@pytest.fixture(scope="session")
def config():
    return tiny_config()


@pytest.fixture(scope="session")
def records(config, tmp_path_factory):
    return tiny_records(config, tmp_path_factory.mktemp("campaign"))


@pytest.fixture(scope="session")
def landscape(records, config):
    return Landscape.from_records(records, config)


@pytest.fixture(scope="session")
def normalizer(landscape):
    return Normalizer.fit(landscape.all_feature_rows())


@pytest.fixture()
def env_settings(config):
    return EnvSettings.from_config(config["rl"])


@pytest.fixture(scope="session")
def trained(config, records, tmp_path_factory):
    from rl_data import train_all

    return train_all(config, records, tmp_path_factory.mktemp("rl"))
