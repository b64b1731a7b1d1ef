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
        ("workloads: {generate: {count: 0}}", "workloads.generate.count"),
        ("distill: {deploy: {method: viper, depth: 0, min_samples_leaf: 5, top_k: 0}}", "distill.deploy.depth"),
        ("distill: {novelty_held_out: workload}", "distill.novelty_held_out"),
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


# ------------------------------------------------------------------ strictness


@pytest.mark.parametrize(
    "text, key, needle",
    [
        ("trials: 3.0", "trials", "3.0 is not an integer"),
        ("retry: {attempts: 2.0}", "retry.attempts", "not an integer"),
        ("grid: {cores: [1, 2.0]}", "grid.cores.1", "not an integer"),
        ("rl: {batch_size: 64.0}", "rl.batch_size", "not an integer"),
        ("sim: {window_ms: .inf}", "sim.window_ms", "inf is not a finite number"),
        ("slo: {p99_us: .nan}", "slo.p99_us", "nan is not a finite number"),
        ("retry: {backoff_s: .inf}", "retry.backoff_s", "not a finite number"),
        ("local: {measure_s: .inf}", "local.measure_s", "not a finite number"),
        ("ssh: {run: {warmup_s: .nan}}", "ssh.run.warmup_s", "not a finite number"),
        ("codegen: {walk: zigzag}", "codegen.walk", "is not one of"),
        ("codegen: {depth: 10}", "codegen", "'depth' was unexpected"),
        ("codegen: {cc: ''}", "codegen.cc", "should be non-empty"),
        ("ssh: {run: {memory_mb: 512}}", "ssh.run", "'memory_mb' was unexpected"),
        ("ssh: {run: {measure_s: 'two'}}", "ssh.run.measure_s", "is not of type 'number'"),
        (
            "ssh: {testbeds: [{name: a, known_hosts: k, dut: {host: h, port: 22.0}}]}",
            "ssh.testbeds.0.dut.port",
            "not an integer",
        ),
        ("max_runs: 0", "max_runs", "less than the minimum"),
    ],
)
def test_integers_finite_numbers_and_section_schemas_are_enforced(tmp_path, text, key, needle):
    with pytest.raises(ConfigError) as err:
        load_config(_override(tmp_path, text))
    line = next(x for x in str(err.value).splitlines() if x.strip().startswith(f"{key}:"))
    assert needle in line


def test_integral_values_and_every_documented_section_key_still_load(tmp_path):
    config = load_config(
        _override(
            tmp_path,
            "trials: 2\nsim: {window_ms: 5}\ncodegen: {cc: gcc, walk: table}\n"
            "ssh: {run: {warmup_s: 0.5, measure_s: 1, mbufs: 8192, perf: perf}}",
        )
    )
    assert config["trials"] == 2 and config["codegen"] == {"cc": "gcc", "walk": "table"}


@pytest.mark.parametrize(
    "text, needle",
    [
        ("trials: 2\nseed: 1\ntrials: 3\n", ":3: invalid YAML: duplicate key 'trials' (first given on line 1)"),
        ("grid:\n  cores: [1]\n  cores: [2]\n", ":3: invalid YAML: duplicate key 'cores' (first given on line 2)"),
        ("trials: 2\ngrid: {cores: [1\n", ":3: invalid YAML"),
        ("a: 1\n b: 2\n", ":2: invalid YAML: mapping values are not allowed"),
        ("- trials\n- 3\n", ":1: the top level must be a mapping of config keys (key: value), not a list"),
        ("just words\n", ":1: the top level must be a mapping of config keys (key: value), not a str"),
    ],
)
def test_a_bad_file_is_one_line_naming_the_file_and_line(tmp_path, text, needle):
    path = _override(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(str(path)) and needle in message
    assert "\n" not in message


def test_oversized_files_and_lists_are_refused_before_any_costly_check(tmp_path):
    from dpdktune.config import MAX_FILE_BYTES, MAX_LIST_ITEMS

    cores = ", ".join(map(str, range(1, MAX_LIST_ITEMS + 2)))
    with pytest.raises(ConfigError, match=f"grid.cores: {MAX_LIST_ITEMS + 1:,} values; a list in the config holds"):
        load_config(_override(tmp_path, f"grid: {{cores: [{cores}]}}\n"))
    big = _override(tmp_path, "trials: 1\n" + "#" * MAX_FILE_BYTES + "\n")
    with pytest.raises(ConfigError, match=f"{big}: .* bytes; a config file is at most 256 KiB"):
        load_config(big)


def test_the_run_count_is_computed_not_enumerated(monkeypatch):
    import dpdktune.knobs
    import dpdktune.workloads
    from dpdktune.config import run_count

    def refuse(*args, **kwargs):
        raise AssertionError("enumerated")

    monkeypatch.setattr(dpdktune.knobs, "expand_grid", refuse)
    monkeypatch.setattr(dpdktune.workloads, "generate", refuse)
    config = {
        "workloads": {"generate": {"count": 100000}},
        "trials": 100,
        "grid": {"rx_desc": [1] * 13, "tx_desc": [1] * 13, "cores": list(range(5000)), "burst": [1] * 1024},
    }
    assert run_count(config) == 100000 * 13 * 13 * 5000 * 1024 * 100
    assert run_count({**config, "workloads": ["a", "b"]}) == 2 * 13 * 13 * 5000 * 1024 * 100


def test_a_campaign_above_max_runs_needs_max_runs_raised(tmp_path):
    levels = ",".join(map(str, range(1, 101)))
    huge = f"grid: {{cores: [{levels}], burst: [{levels}]}}\n"
    with pytest.raises(ConfigError, match=r"max_runs: the campaign has 11,250,000 runs, above max_runs = 1,000,000"):
        load_config(_override(tmp_path, huge))
    assert load_config(_override(tmp_path, huge + "max_runs: 11250000\n"))["max_runs"] == 11250000


def test_ssh_without_testbeds_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="ssh.testbeds: backend is ssh but no testbed is configured"):
        load_config(_override(tmp_path, "backend: ssh\n"))


def test_every_schema_key_of_the_checked_sections_is_described():
    from dpdktune.config import schema

    props = schema()["properties"]
    sections = {
        "max_runs": props["max_runs"],
        **props["codegen"]["properties"],
        **props["ssh"]["properties"]["run"]["properties"],
        **props["ssh"]["properties"]["testbeds"]["items"]["properties"],
        **schema()["$defs"]["endpoint"]["properties"],
    }
    undocumented = [k for k, v in sections.items() if "$ref" not in v and not v.get("description")]
    assert undocumented == []


def test_ssh_run_schema_lists_exactly_the_settings_the_remote_run_reads():
    """Each ssh.run key is a TestpmdSettings field (the SSH backend reads them through it)."""
    from dataclasses import fields

    from dpdktune.backends.testpmd import TestpmdSettings
    from dpdktune.config import schema

    keys = set(schema()["properties"]["ssh"]["properties"]["run"]["properties"])
    assert keys <= {f.name for f in fields(TestpmdSettings)}
    assert {"warmup_s", "measure_s", "deadline_s", "sample_interval_s"} <= keys
    # per-testbed in the testbed entry, so refused here rather than silently ignored
    assert not keys & {"testpmd", "memory_mb", "no_huge", "no_pci", "topology"}


# ------------------------------------------------------------------ the real snakemake


@pytest.mark.slow
@pytest.mark.parametrize(
    "text, needle",
    [
        ("trials: 3.0\n", "trials: 3.0 is not an integer"),
        ("sim: {window_ms: .inf}\n", "sim.window_ms: inf is not a finite number"),
        ("trials: 2\ntrials: 3\n", "override.yaml:2: invalid YAML: duplicate key 'trials'"),
        ("backend: ssh\n", "ssh.testbeds: backend is ssh but no testbed is configured"),
        ("codegen: {depth: 3}\n", "codegen: Additional properties are not allowed ('depth' was unexpected)"),
    ],
)
def test_snakemake_itself_stops_with_the_one_line_message_and_no_traceback(tmp_path, text, needle):
    from snakemake_helpers import run_snakemake, workdir

    work = workdir(tmp_path)
    (work / "override.yaml").write_text(text)
    result = run_snakemake(work, "-n", "--cores", "1", "characterize", timeout=120)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if needle in line]
    assert len(lines) == 1 and lines[0].strip().startswith(("dpdktune:", needle.split(":")[0])), result.stderr
    assert "Traceback" not in result.stderr and 'File "' not in result.stderr, result.stderr
    assert not (work / "results").exists()


@pytest.mark.slow
def test_snakemake_run_elsewhere_with_only_an_override_names_the_missing_defaults(tmp_path):
    """Outside the checkout Snakemake finds no config/config.yaml and, given --configfile, goes on
    without it: one line saying so and how to run it, not a KeyError traceback."""
    from snakemake_helpers import run_snakemake

    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "override.yaml").write_text("seed: 7\n")
    result = run_snakemake(work, "-n", "--cores", "1", "characterize", timeout=120)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if "the defaults were not loaded" in line]
    assert len(lines) == 1 and lines[0].startswith("dpdktune: backend: not set"), result.stderr
    assert "a link to) its config/" in lines[0]
    assert "Traceback" not in result.stderr and 'File "' not in result.stderr, result.stderr


def test_the_config_check_names_the_first_missing_default_key():
    from dpdktune.config import ConfigError, check_config, load_config

    config = load_config()
    assert check_config(config) is None
    del config["hardware"], config["grid"]
    with pytest.raises(ConfigError, match=r"^hardware: not set \(2 top-level keys of config/config.yaml are missing\)"):
        check_config(config)


def test_the_config_check_loads_no_learning_library():
    """Every snakemake call checks the config and builds the DAG: scikit-learn, SciPy, torch or
    d3rlpy there would add seconds to each one (and to `snakemake -n`)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from dpdktune.config import load_config\n"
        "from dpdktune.distill import zero_shot\n"
        "load_config()\n"
        "print(sorted(m for m in ('sklearn', 'scipy', 'torch', 'd3rlpy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
