"""The config's one source of truth: config/config.yaml, config/schema.yaml and dpdktune/sections.py agree."""

from dataclasses import MISSING, fields, is_dataclass
from pathlib import Path

import pytest
import yaml
from dpdktune.config import DEFAULT_CONFIG, DEFAULT_MAX_RUNS, ConfigError, load_config, schema
from dpdktune.runtime.settings import runtime_settings
from dpdktune.sections import ALGORITHMS, METHODS, Section, section, section_classes

DEFAULTS = yaml.safe_load(Path(DEFAULT_CONFIG).read_text())
#: top-level mappings that are not settings sections, and who reads them
NOT_SECTIONS = {
    "grid": "knobs.expand_grid",
    "default_config": "fingerprint.default_knobs",
    "workload_defs": "workloads.py (one mapping per workload)",
}


def _properties(node, path=""):
    """(path, schema) of every property in the schema, through $defs, items, oneOf."""
    if not isinstance(node, dict):
        return
    for key, value in (node.get("properties") or {}).items():
        yield f"{path}.{key}".lstrip("."), value
        yield from _properties(value, f"{path}.{key}")
    for key in ("items", "additionalProperties"):
        yield from _properties(node.get(key), f"{path}[]")
    for alternative in node.get("oneOf") or []:
        yield from _properties(alternative, path)
    for name, sub in (node.get("$defs") or {}).items():
        yield from _properties(sub, f"$defs.{name}")


def _default(f):
    return f.default_factory() if f.default is MISSING else f.default


def _frozen(value):
    return tuple(_frozen(v) for v in value) if isinstance(value, list) else value


def _section_schemas():
    """(name, class, schema node, config.yaml mapping) of every section, nested ones included."""
    out = []
    for name, cls in section_classes().items():
        stack = [(name, cls, schema()["properties"][name], DEFAULTS.get(name, {}))]
        while stack:
            key, c, node, values = stack.pop()
            out.append((key, c, node, values))
            for field_name, nested in getattr(c, "nested", {}).items():
                stack.append(
                    (f"{key}.{field_name}", nested, node["properties"][field_name], values.get(field_name, {}))
                )
    return out


def test_every_schema_property_has_a_description():
    missing = [path for path, node in _properties(schema()) if "description" not in node]
    assert missing == []


def test_every_object_in_the_schema_is_a_section_or_named_as_none():
    objects = {k for k, v in schema()["properties"].items() if "properties" in v or "$ref" in v}
    assert objects - set(NOT_SECTIONS) == set(section_classes())


@pytest.mark.parametrize("name, cls, node, values", _section_schemas(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_sections_fields_are_its_schema_keys(name, cls, node, values):
    assert issubclass(cls, Section) and is_dataclass(cls)
    assert sorted(f.name for f in fields(cls)) == sorted(node["properties"]), name


@pytest.mark.parametrize("name, cls, node, values", _section_schemas(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_sections_defaults_are_config_yamls_values(name, cls, node, values):
    for f in fields(cls):
        if f.name in getattr(cls, "nested", {}):
            continue
        if f.name in values:
            assert _default(f) == _frozen(values[f.name]), f"{name}.{f.name}"
        else:  # no value in config.yaml: None, and the class says what None means
            assert _default(f) is None, f"{name}.{f.name} has a default that config/config.yaml lacks"


def test_a_section_built_from_the_defaults_equals_one_built_from_nothing():
    config = load_config()
    for name in section_classes():
        assert section(config, name) == section({}, name), name


def test_top_level_defaults_agree():
    assert DEFAULTS["max_runs"] == DEFAULT_MAX_RUNS


def test_the_rl_algorithms_are_listed_once():
    props = schema()["properties"]
    assert tuple(props["rl"]["properties"]["algorithms"]["items"]["enum"]) == ALGORITHMS
    assert tuple(props["distill"]["properties"]["teacher"]["enum"]) == ("auto", *ALGORITHMS)
    assert tuple(props["distill"]["properties"]["methods"]["items"]["enum"]) == METHODS
    deploy = next(alt for alt in props["distill"]["properties"]["deploy"]["oneOf"] if alt["type"] == "object")
    assert tuple(deploy["properties"]["method"]["enum"]) == METHODS
    snakefile = (Path(DEFAULT_CONFIG).parents[1] / "Snakefile").read_text()
    assert 'algorithm="|".join(ALGORITHMS)' in snakefile


def test_values_are_typed_and_frozen():
    rl = section({"rl": {"hidden": [32, 32], "decision_interval_s": 5}}, "rl")
    assert rl.hidden == (32, 32)
    assert isinstance(rl.decision_interval_s, float)  # `5` in YAML is the number 5.0
    with pytest.raises(AttributeError):
        rl.seed = 1


@pytest.mark.parametrize(
    "override, key",
    [
        ({"rl": {"gamma": 1.0}}, "rl.gamma"),
        ({"rl": {"algorithms": ["sac"]}}, "rl.algorithms.0"),
        ({"rl": {"online_env": "gym"}}, "rl.online_env"),
        ({"rl": {"batch_size": 0}}, "rl.batch_size"),
        ({"rl": {"device": "tpu"}}, "rl.device"),
        ({"rl": {"episode_steps": 50}}, "rl.episode_steps"),
        ({"distill": {"teacher": "sac"}}, "distill.teacher"),
        ({"distill": {"leaf_margin": -1}}, "distill.leaf_margin"),
        ({"sim": {"noise_cv": -1}}, "sim.noise_cv"),
        ({"sim": {"failure_prob": 2}}, "sim.failure_prob"),
        ({"sim": {"window_ms": 0}}, "sim.window_ms"),
        ({"local": {"topology": "ring"}}, "local.topology"),
        ({"local": {"mbuf_cache": 600}}, "local.mbuf_cache"),
        ({"runtime": {"tree_depth": 0}}, "runtime.tree_depth"),
        ({"codegen": {"walk": "spiral"}}, "codegen.walk"),
        ({"report": {"phase2": "maybe"}}, "report.phase2"),
    ],
)
def test_a_bad_value_gives_one_line_naming_the_key(override, key):
    with pytest.raises(ConfigError) as exc:
        load_config(overrides=override)
    problems = str(exc.value).splitlines()[1:]
    assert len(problems) == 1 and problems[0].strip().startswith(f"{key}:"), str(exc.value)


def test_the_restart_cost_must_fit_in_a_decision():
    with pytest.raises(ConfigError, match=r"^rl\.restart_cost_s: 6\.0 must lie within 0\.\.decision_interval_s"):
        load_config(overrides={"rl": {"restart_cost_s": 6.0}})


def test_an_unknown_key_in_code_is_one_line_naming_it():
    with pytest.raises(ConfigError, match=r"^sim\.bogus: unknown key") as exc:
        section({"sim": {"bogus": 1}}, "sim")
    assert "\n" not in str(exc.value)


def test_runtime_overrides_are_checked_as_config_values_are():
    config = load_config()
    assert runtime_settings(config, tree_depth=4)["tree_depth"] == 4
    with pytest.raises(ConfigError, match="runtime.tree_depth"):
        runtime_settings(config, tree_depth=0)
