import pytest
import yaml

from dpdktune.config import ConfigError, deep_merge, load_config


def _override(tmp_path, text: str):
    path = tmp_path / "override.yaml"
    path.write_text(text)
    return path


def test_defaults_are_valid_and_give_the_plans_grid():
    config = load_config()
    assert config["backend"] == "sim"
    assert len(config["workloads"]) == 15
    grid = config["grid"]
    assert len(grid["rx_desc"]) * len(grid["tx_desc"]) * len(grid["cores"]) * len(grid["burst"]) == 125


def test_a_partial_override_changes_only_its_keys(tmp_path):
    config = load_config(_override(tmp_path, "grid: {cores: [1, 2]}\ntrials: 1\n"))
    assert config["grid"]["cores"] == [1, 2]
    assert config["grid"]["rx_desc"] == [128, 256, 512, 1024, 2048]  # untouched sibling
    assert config["trials"] == 1 and config["backend"] == "sim"


@pytest.mark.parametrize(
    "text, key",
    [
        ("grid: {rx_desc: [100]}", "grid.rx_desc.0"),
        ("trials: 0", "trials"),
        ("backend: dpdk", "backend"),
        ("sim: {noise_cvv: 0.1}", "sim"),
        ("retry: {attempts: -1}", "retry.attempts"),
        ("objective: fastest", "objective"),
        ("workloads: {generate: {count: 0}}", "workloads"),
    ],
)
def test_a_bad_value_names_its_key(tmp_path, text, key):
    with pytest.raises(ConfigError) as err:
        load_config(_override(tmp_path, text))
    assert f"\n  {key}:" in str(err.value)


@pytest.mark.parametrize(
    "text, needle",
    [
        ("hardware: no-such-nic", "hardware: unknown profile 'no-such-nic'"),
        ("workloads: [flood64, nosuch]", "unknown workload names ['nosuch']"),
        ("hardware: xeon8180-82599-10g\ngrid: {rx_desc: [8192]}", "grid.rx_desc.0: 8192 exceeds"),
        ("decision: {go: 0.1, maybe: 0.2}", "decision.maybe"),
    ],
)
def test_semantic_errors_name_the_bad_value(tmp_path, text, needle):
    with pytest.raises(ConfigError, match=".*") as err:
        load_config(_override(tmp_path, text))
    assert needle in str(err.value)


def test_deep_merge_recurses_and_does_not_alias():
    base = {"a": {"b": 1, "c": [1]}, "d": 1}
    merged = deep_merge(base, {"a": {"b": 2}})
    assert merged == {"a": {"b": 2, "c": [1]}, "d": 1}
    merged["a"]["c"].append(2)
    assert base["a"]["c"] == [1]


def test_the_default_config_file_parses_as_plain_yaml():
    from dpdktune.config import DEFAULT_CONFIG

    assert isinstance(yaml.safe_load(DEFAULT_CONFIG.read_text()), dict)
