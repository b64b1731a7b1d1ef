"""Load and check a dpdktune config: the JSON schema first, then the facts a schema cannot see."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from dpdktune.paths import project_file

CONFIG_DIR = project_file("config")
DEFAULT_CONFIG = project_file("config/config.yaml")
SCHEMA_FILE = project_file("config/schema.yaml")
#: the campaign size above which `max_runs` must be raised explicitly
DEFAULT_MAX_RUNS = 1_000_000
#: bounds that keep every check fast for any input: a config is a few KB, a grid axis a few values
MAX_FILE_BYTES = 256 * 1024
MAX_LIST_ITEMS = 4096


class ConfigError(ValueError):
    """A bad config value; the message starts with the key's path (or the file and line)."""


def _key_path(path) -> str:
    return ".".join(str(p) for p in path) or "<root>"


# ------------------------------------------------------------------ YAML files


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader (libyaml's parser where there is one: 4x faster) that refuses a key given twice
    in one mapping (PyYAML keeps the last silently)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    first = seen.setdefault(key, line)
                except TypeError:  # an unhashable key: the base class says so
                    break
                if first != line:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r} (first given on line {first})", key_node.start_mark
                    )
        return super().construct_mapping(node, deep)


def load_yaml_file(path: str | Path) -> dict[str, Any]:
    """A config file as a mapping; any problem is one ConfigError line naming the file and line."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ConfigError(f"{path}: {size:,} bytes; a config file is at most {MAX_FILE_BYTES // 1024} KiB")
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror or exc})") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        detail = f"{context}, {problem}" if context and "duplicate" not in problem else problem
        raise ConfigError(f"{where}: invalid YAML: {detail}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}:1: the top level must be a mapping of config keys (key: value), not a {type(data).__name__}"
        )
    return data


def check_config_files(paths) -> None:
    """Each file parses as a mapping without duplicate keys (Snakemake's loader keeps the last)."""
    for path in paths:
        load_yaml_file(path)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`override` on top of `base`, recursing into mappings (as Snakemake merges --configfile)."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


# ------------------------------------------------------------------ schema


def _is_integer(checker, instance) -> bool:
    # JSON Schema counts 3.0 as an integer; a config that says `trials: 3.0` is a mistake
    return isinstance(instance, int) and not isinstance(instance, bool)


def _is_number(checker, instance) -> bool:
    # every number in the config is a finite quantity: .inf and .nan are refused everywhere
    return isinstance(instance, (int, float)) and not isinstance(instance, bool) and math.isfinite(instance)


_StrictValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"integer": _is_integer, "number": _is_number}
    ),
)


def _innermost(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For a value that matches none of a oneOf's forms, the most specific reason: the key inside
    it that is wrong (`distill.deploy.depth`), not the whole mapping."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        return jsonschema.exceptions.best_match([error])
    return error


def _message(error: jsonschema.ValidationError) -> str:
    value = error.instance
    if error.validator == "type" and isinstance(value, float):
        if not math.isfinite(value):
            return f"{value!r} is not a finite number"
        if "integer" in (error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]):
            return f"{value!r} is not an integer (write {int(value)} if that is meant)"
    return error.message


_schema_cache: dict[str, Any] = {}


def schema() -> dict[str, Any]:
    if "schema" not in _schema_cache:
        _schema_cache["schema"] = yaml.safe_load(SCHEMA_FILE.read_text())
    return _schema_cache["schema"]


def check_section(name: str, raw: dict[str, Any]) -> None:
    """One section's mapping against its part of the schema (for values given outside a config
    file, e.g. `dpdktune run --tree-depth`); errors name the key as check_schema's do."""
    validator = _StrictValidator({**schema()["properties"][name], "$defs": schema()["$defs"]})
    errors = sorted(validator.iter_errors(raw), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        lines = [f"{_key_path((name, *e.absolute_path))}: {_message(e)}" for e in map(_innermost, errors)]
        raise ConfigError("invalid config:\n  " + "\n  ".join(lines))


def _long_lists(value: Any, path: tuple = ()) -> list[str]:
    if isinstance(value, dict):
        return [line for k, v in value.items() for line in _long_lists(v, (*path, k))]
    if isinstance(value, list):
        if len(value) > MAX_LIST_ITEMS:
            return [f"{_key_path(path)}: {len(value):,} values; a list in the config holds at most {MAX_LIST_ITEMS}"]
        return [line for i, v in enumerate(value) for line in _long_lists(v, (*path, i))]
    return []


def check_schema(config: dict[str, Any]) -> None:
    too_long = _long_lists(config)
    if too_long:  # before the schema, whose checks cost per item
        raise ConfigError("invalid config:\n  " + "\n  ".join(too_long))
    validator = _StrictValidator(schema())
    errors = sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        lines = [f"{_key_path(e.absolute_path)}: {_message(e)}" for e in map(_innermost, errors)]
        raise ConfigError("invalid config:\n  " + "\n  ".join(lines))


# ------------------------------------------------------------------ semantics


def workload_count(config: dict[str, Any]) -> int:
    """How many workloads the config names, without building them (a generator of 100k takes ~30 s)."""
    spec = config["workloads"]
    return int(spec["generate"]["count"]) if isinstance(spec, dict) else len(spec)


def training_split_problem(config: dict[str, Any]) -> str | None:
    """Why the baselines' and RL's leave-workload-out splits cannot be made, or None. Only the
    stages after `analyze` hold workloads out, so a 1-workload campaign can still be measured."""
    from dpdktune.splits import held_out_count

    n = workload_count(config)
    from dpdktune.sections import section

    fraction = section(config, "baselines").test_fraction
    held = held_out_count(n, fraction)
    if held < n:
        return None
    fix = "name at least 2 workloads" if n < 2 else "lower baselines.test_fraction or name more workloads"
    return (
        f"workloads: {n} workload(s) with baselines.test_fraction={fraction:g} hold out {held} and leave none "
        f"to train the baselines on; for report.html {fix} (`characterize` runs with any number)"
    )


def unmeasured_objective_problem(config: dict[str, Any]) -> str | None:
    """Why the analysis cannot rank configs on a real backend, or None. Neither real backend
    measures latency (testpmd's io/mac forwarding timestamps no packets), so an objective built on
    p99 latency is NaN for every run; the simulator measures it. `characterize` needs no objective."""
    if config["backend"] == "sim":
        return None
    import numpy as np

    from dpdktune.objective import values

    no_latency = {"throughput_mpps": 1.0, "offered_mpps": 1.0, "drop_rate": 0.0, "latency_p99_us": float("nan")}
    grid = config["grid"]
    from dpdktune.sections import section

    wanted = [config["objective"], *section(config, "decision").objectives]
    blind = [
        o
        for o in dict.fromkeys(wanted)
        if np.isnan(values(o, no_latency, grid["cores"][0], grid["rx_desc"][0], grid["tx_desc"][0], config))
    ]
    if not blind:
        return None
    keys = " and ".join(
        k
        for k, hit in (
            ("objective", config["objective"] in blind),
            ("decision.objectives", set(blind) - {config["objective"]}),
        )
        if hit
    )
    return (
        f"{keys}: {', '.join(blind)} need latency_p99_us, which backend {config['backend']} does not measure "
        "(testpmd's forwarding timestamps no packets); for the analysis and report.html choose objectives "
        "without latency, e.g. objective: throughput_mpps and decision.objectives: [throughput_mpps, "
        "zero_loss_mpps] (`characterize` runs regardless)"
    )


def run_count(config: dict[str, Any]) -> int:
    """Runs of the campaign: workloads x grid points x trials, counted without enumerating them."""
    grid = config["grid"]
    points = math.prod(len(grid[axis]) for axis in ("rx_desc", "tx_desc", "cores"))
    return workload_count(config) * points * len(grid.get("burst", [32])) * config["trials"]


def check_semantics(config: dict[str, Any]) -> None:
    """What the schema cannot check: names that must exist, and limits of the hardware."""
    from dpdktune.hardware import load_hardware
    from dpdktune.objective import check_objective_config
    from dpdktune.workloads import workloads_of

    try:
        hardware = load_hardware(config["hardware"])
        check_objective_config(config)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    # generated workloads are valid by construction (and costly to build): check names only
    if not isinstance(config["workloads"], dict):
        try:
            workloads_of(config)
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
    for axis in ("rx_desc", "tx_desc"):
        for i, n in enumerate(config["grid"][axis]):
            if n > hardware.nic_max_desc:
                raise ConfigError(
                    f"grid.{axis}.{i}: {n} exceeds the NIC's maximum of {hardware.nic_max_desc} "
                    f"descriptors on hardware profile {hardware.name!r}"
                )
    if config["decision"]["maybe"] > config["decision"]["go"]:
        raise ConfigError("decision.maybe: must not exceed decision.go")
    from dpdktune.sections import section

    rl = section(config, "rl")
    if rl.restart_cost_s > rl.decision_interval_s:
        raise ConfigError(
            f"rl.restart_cost_s: {rl.restart_cost_s} must lie within 0..decision_interval_s ({rl.decision_interval_s})"
        )
    from dpdktune.distill.zero_shot import config_problem

    problem = config_problem(config)
    if problem:
        raise ConfigError(problem)
    runs, cap = run_count(config), config.get("max_runs", DEFAULT_MAX_RUNS)
    if runs > cap:
        raise ConfigError(
            f"max_runs: the campaign has {runs:,} runs, above max_runs = {cap:,}; "
            f"set max_runs: {runs} (e.g. --config max_runs={runs}) to run it anyway"
        )
    _check_testbeds(config)


def _check_testbeds(config: dict[str, Any]) -> None:
    if config["backend"] != "ssh":
        return
    from dpdktune.backends.ssh import parse_testbeds

    try:
        beds = parse_testbeds(config.get("ssh") or {})
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    if not beds:
        raise ConfigError(
            "ssh.testbeds: backend is ssh but no testbed is configured (see config/testbeds.example.yaml)"
        )


def missing_files(config: dict[str, Any]) -> list[str]:
    """One line per file the backend will open on this machine but which is not there."""
    if config["backend"] != "ssh":
        return []
    from dpdktune.backends.ssh import parse_testbeds

    problems = []
    for i, bed in enumerate(parse_testbeds(config.get("ssh") or {})):
        for role, ep in (("dut", bed.dut), ("generator", bed.generator)):
            if ep is None:
                continue
            for field in ("known_hosts", "key_file"):
                path = Path(getattr(ep, field)).expanduser()
                if not path.is_file():
                    where = (
                        f"ssh.testbeds[{i}].known_hosts"
                        if field == "known_hosts"
                        else f"ssh.testbeds[{i}].{role}.key_file"
                    )
                    line = f"{where}: {getattr(ep, field)} does not exist (testbed {bed.name})"
                    if line not in problems:
                        problems.append(line)
    return problems


def missing_defaults_problem(config: dict[str, Any]) -> str | None:
    """Snakemake reads config/config.yaml relative to the working directory and, where --configfile
    is given, silently skips it when it is not there: run from another folder with only an
    override file, the config lacks the defaults and every later check would fail on a key."""
    missing = [key for key in load_yaml_file(DEFAULT_CONFIG) if key not in config]
    if not missing:
        return None
    return (
        f"{missing[0]}: not set ({len(missing)} top-level keys of config/config.yaml are missing): the "
        f"defaults were not loaded; run snakemake in the dpdktune checkout, or in a folder holding a copy "
        f"of (or a link to) its config/ ({DEFAULT_CONFIG.parent})"
    )


def check_config(config: dict[str, Any], files=()) -> None:
    """Everything the pipeline checks before its first rule: each file, that the defaults are
    there, the schema, the semantics."""
    check_config_files(files)
    problem = missing_defaults_problem(config)
    if problem:
        raise ConfigError(problem)
    check_schema(config)
    check_semantics(config)


def load_config(*override_files: str | Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The defaults, with each override file and then `overrides` merged on top, checked."""
    config = load_yaml_file(DEFAULT_CONFIG)
    for path in override_files:
        config = deep_merge(config, load_yaml_file(path))
    if overrides:
        config = deep_merge(config, overrides)
    check_schema(config)
    check_semantics(config)
    return config
