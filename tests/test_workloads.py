from dataclasses import fields

import pytest
import yaml
from dpdktune.config import load_config
from dpdktune.workloads import ARRIVAL_PROCESSES, _parameters, _parse, generate, load_catalogue, resolve


def test_catalogue_defines_every_default_workload():
    catalogue = load_catalogue()
    assert list(catalogue) == load_config()["workloads"]
    assert len(catalogue) == 15


def test_catalogue_covers_the_patterns_physics_reacts_to():
    c = load_catalogue()
    assert c["flood64"].sizes == (64,) and c["flood64"].line_fraction == 1.0
    assert c["large1500"].sizes == (1500,)
    assert c["lowrate"].offered_mpps < 1.0 and c["highrate"].offered_mpps > 10.0
    assert c["imix"].sizes == (64, 576, 1500) and c["imix"].size_weights == (7.0, 4.0, 1.0)
    assert c["elephant"].flows == 1
    assert {c[n].arrival.process for n in ("bursty", "microburst")} == {"onoff"}
    assert c["mmpp"].arrival.process == "mmpp"
    assert c["reqheavy"].app_cycles >= 1000
    assert {w.direction for w in c.values()} == {"uni", "bidir"}


def test_generate_gives_50_distinct_workloads_reproducibly():
    first = generate(50, seed=1)
    assert len(first) == 50
    assert len({_parameters(w) for w in first}) == 50
    assert len({w.name for w in first}) == 50
    assert [_parameters(w) for w in generate(50, seed=1)] == [_parameters(w) for w in first]
    assert [_parameters(w) for w in generate(50, seed=2)] != [_parameters(w) for w in first]
    assert {w.arrival.process for w in first} == set(ARRIVAL_PROCESSES)


def test_generate_many_stays_distinct():
    many = generate(500, seed=3)
    assert len({_parameters(w) for w in many}) == 500


def test_resolve_accepts_names_and_generators():
    assert [w.name for w in resolve(["kv", "web"])] == ["kv", "web"]
    assert len(resolve({"generate": {"count": 7, "seed": 0}})) == 7
    with pytest.raises(ValueError, match="unknown workload names"):
        resolve(["kv", "nope"])


@pytest.mark.parametrize(
    "raw, key",
    [
        ({"flows": 1}, "sizes"),
        ({"sizes": [64], "flows": 1, "arrival": {"process": "fractal"}}, "arrival.process"),
        ({"sizes": [32], "flows": 1}, "sizes"),
        ({"sizes": [64], "flows": 1, "direction": "up"}, "direction"),
        ({"sizes": [64, 128], "size_weights": [1], "flows": 1}, "size_weights"),
    ],
)
def test_bad_workload_names_the_key(raw, key):
    with pytest.raises(ValueError, match=key):
        _parse("bad", raw)


def test_every_catalogue_entry_uses_only_known_fields():
    raw = yaml.safe_load(open("config/workloads.yaml"))["workloads"]
    known = {f.name for f in fields(load_catalogue()["kv"].__class__)} | {"arrival"}
    for name, spec in raw.items():
        assert set(spec) <= known, name


MINE = {
    "description": "my mix",
    "sizes": [64, 1500],
    "size_weights": [3, 1],
    "offered_mpps": 2.0,
    "arrival": {"process": "onoff", "on_us": 100, "off_us": 300},
    "flows": 77,
    "zipf_s": 0.4,
    "app_cycles": 120,
    "direction": "uni",
}


def test_config_defines_workloads_of_its_own(tmp_path):
    from dpdktune.workloads import workloads_of

    (tmp_path / "wl.yaml").write_text(yaml.safe_dump({"workloads": {"filed": {**MINE, "flows": 5}}}))
    config = load_config(
        overrides={
            "workload_defs": {"mine": MINE},
            "workloads_file": str(tmp_path / "wl.yaml"),
            "workloads": ["mine", "filed", "kv"],
        }
    )
    mine, filed, kv = workloads_of(config)
    assert (mine.name, mine.sizes, mine.size_weights, mine.flows) == ("mine", (64, 1500), (3.0, 1.0), 77)
    assert mine.arrival.process == "onoff" and mine.arrival.off_us == 300.0 and mine.offered_mpps == 2.0
    assert (filed.name, filed.flows) == ("filed", 5)
    assert kv == load_catalogue()["kv"]


@pytest.mark.parametrize(
    "defs, message",
    [
        ({"m": {**MINE, "flowz": 3}}, "workload_defs.m.flowz: unknown workload field"),
        ({"m": {**MINE, "flows": "many"}}, "workload_defs.m.flows: expected an integer"),
        ({"m": {**MINE, "arrival": {"process": "onoff", "on_ms": 1}}}, "workload_defs.m.arrival.on_ms: unknown"),
        ({"m": {**MINE, "sizes": [64, 40000]}}, "workload_defs.m.sizes"),
        ({"m": {k: v for k, v in MINE.items() if k != "flows"}}, "workload_defs.m.flows: required"),
        ({"kv": MINE}, "workload_defs.kv: already defined in config/workloads.yaml"),
    ],
)
def test_bad_workload_defs_get_one_line_naming_the_key(defs, message):
    from dpdktune.config import ConfigError, check_semantics
    from dpdktune.config import load_config as load

    config = load()
    config.update(workload_defs=defs, workloads=list(defs))
    with pytest.raises(ConfigError, match=message) as err:
        check_semantics(config)  # what the schema lets through, the loader names
    assert "\n" not in str(err.value)


def test_unknown_names_and_bad_files_name_the_key(tmp_path):
    from dpdktune.config import ConfigError

    with pytest.raises(ConfigError, match=r"workloads: unknown workload names \['nope'\]"):
        load_config(overrides={"workload_defs": {"mine": MINE}, "workloads": ["mine", "nope"]})
    with pytest.raises(ConfigError, match="workloads_file: cannot read .*missing.yaml"):
        load_config(overrides={"workloads_file": str(tmp_path / "missing.yaml")})
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="workloads_file: .*list.yaml must hold a mapping `workloads:`"):
        load_config(overrides={"workloads_file": str(tmp_path / "list.yaml")})
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump({"workloads": {"w": {**MINE, "direction": "up"}}}))
    with pytest.raises(ConfigError, match=r"workloads_file .*bad.yaml: workloads.w.direction: 'up'"):
        load_config(overrides={"workloads_file": str(tmp_path / "bad.yaml"), "workloads": ["w"]})


def test_a_changed_definition_changes_the_campaign_id():
    from dpdktune.campaign.plan import campaign_id, load_campaign_hardware, workload_runs
    from dpdktune.workloads import workloads_of

    base = load_config(overrides={"workload_defs": {"mine": MINE}, "workloads": ["mine"]})
    changed = load_config(overrides={"workload_defs": {"mine": {**MINE, "app_cycles": 121}}, "workloads": ["mine"]})
    renamed_only = load_config(
        overrides={"workload_defs": {"mine": {**MINE, "description": "new words"}}, "workloads": ["mine"]}
    )
    assert campaign_id(base) != campaign_id(changed)
    assert campaign_id(base) == campaign_id(renamed_only)
    # the variants draw the same noise: seeds follow the run keys, not the definitions
    seeds = [[s.seed for s in workload_runs(c, workloads_of(c)[0], load_campaign_hardware(c))] for c in (base, changed)]
    assert seeds[0] == seeds[1] and len(set(seeds[0])) == len(seeds[0])


def test_sim_cli_sees_the_configs_workloads(tmp_path, capsys):
    import json

    from dpdktune.cli import main

    (tmp_path / "c.yaml").write_text(yaml.safe_dump({"workload_defs": {"mine": MINE}, "workloads": ["mine"]}))
    argv = ["sim", "--workload", "mine", "--rx-desc", "512", "--tx-desc", "512", "--cores", "2"]
    assert main(argv) == 2
    assert "unknown workload 'mine'" in capsys.readouterr().err
    assert main([*argv, "--configfile", str(tmp_path / "c.yaml")]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["offered_mpps"] == pytest.approx(2.0, rel=0.15)


def test_sim_cli_takes_the_configs_hardware_unless_told_otherwise(tmp_path, capsys):
    import json

    from dpdktune.cli import main

    argv = ["sim", "--workload", "flood64", "--rx-desc", "512", "--tx-desc", "512", "--cores", "4"]
    rates = {}
    for name, extra in (("default", []), ("config", ["--configfile"]), ("flag", ["--hardware", "xeon6140-cx5-100g"])):
        (tmp_path / "c.yaml").write_text(yaml.safe_dump({"hardware": "xeon8180-82599-10g"}))
        args = [*argv, *extra, str(tmp_path / "c.yaml")] if name == "config" else [*argv, *extra]
        if name == "flag":
            args += ["--configfile", str(tmp_path / "c.yaml")]
        assert main(args) == 0
        rates[name] = json.loads(capsys.readouterr().out)["throughput_mpps"]
    assert rates["config"] <= 14.9  # a 10G port carries at most 14.88 Mpps of 64 B frames
    assert rates["default"] == pytest.approx(rates["flag"]) and rates["default"] > 20.0
