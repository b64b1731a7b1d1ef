"""Project files: the working directory's first, the packaged ones as fallback; `dpdktune init`."""

from __future__ import annotations

import yaml
from dpdktune.cli import main
from dpdktune.cli_init import init_project
from dpdktune.paths import default_root, project_file, project_paths
from dpdktune.workloads import load_catalogue

MINE = {"sizes": [64], "flows": 3, "offered_mpps": 1.0}


def test_project_files_come_from_the_working_directory(tmp_path, monkeypatch):
    """A project's own config/workloads.yaml and hardware profile win over the packaged ones."""
    from dpdktune.hardware import load_hardware

    (tmp_path / "config" / "hardware").mkdir(parents=True)
    (tmp_path / "config" / "workloads.yaml").write_text(yaml.safe_dump({"workloads": {"only": MINE}}))
    raw = yaml.safe_load((default_root() / "config/hardware/xeon6140-cx5-100g.yaml").read_text())
    (tmp_path / "config" / "hardware" / "myhw.yaml").write_text(yaml.safe_dump({**raw, "name": "myhw"}))
    monkeypatch.chdir(tmp_path)
    assert list(load_catalogue()) == ["only"]
    assert load_hardware("myhw").name == "myhw"
    assert load_hardware("xeon6140-cx5-100g").cores == raw["cores"]  # the packaged profiles stay reachable
    monkeypatch.chdir(tmp_path / "config")
    assert "kv" in load_catalogue()  # outside a project: the packaged catalogue


def test_project_file_falls_back_to_the_packaged_copy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert project_file("config/schema.yaml") == default_root() / "config/schema.yaml"
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "schema.yaml").write_text("{}")
    assert project_file("config/schema.yaml") == tmp_path / "config" / "schema.yaml"


def test_init_copies_the_project_and_never_overwrites(tmp_path, capsys):
    expected = project_paths(default_root())
    assert {
        "Snakefile",
        "rules/common.smk",
        "config/config.yaml",
        "csrc/fastpath_runtime.c",
        "csrc/templates/fastpath_tree.c.j2",
        "workflow/scripts/characterize_batch.py",
        "profiles/default/config.yaml",
    } <= {str(p) for p in expected}
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text("# mine\n")
    written, kept = init_project(tmp_path)
    assert [str(k) for k in kept] == ["config/config.yaml"]
    assert sorted(written + kept) == expected
    assert (tmp_path / "config" / "config.yaml").read_text() == "# mine\n"
    assert (tmp_path / "Snakefile").read_bytes() == (default_root() / "Snakefile").read_bytes()
    assert main(["init", str(tmp_path)]) == 0
    assert f"0 files written to {tmp_path}, {len(expected)} existing files kept" in capsys.readouterr().out
