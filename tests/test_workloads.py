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
