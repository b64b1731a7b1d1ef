"""The `dpdktune` command line: version, help texts, the listings, and status outside a project."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dpdktune import __version__
from dpdktune.cli import SUBCOMMANDS, build_parser, main
from dpdktune.config import load_config
from dpdktune.hardware import HARDWARE_DIR, load_hardware
from dpdktune.workloads import load_catalogue


def _subcommands() -> argparse._SubParsersAction:
    return next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    return dict(_subcommands().choices)


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"dpdktune {__version__}"


def test_the_installed_command_answers_version():
    script = Path(sys.executable).with_name("dpdktune")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "dpdktune.cli"]
    out = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == f"dpdktune {__version__}"


def test_every_subcommand_has_a_summary_and_a_description():
    parsers = _subparsers()
    assert set(parsers) == set(SUBCOMMANDS)
    summaries = {a.dest: a.help for a in _subcommands()._choices_actions}
    for name, parser in parsers.items():
        assert parser.description and len(parser.description) > 40, name
        assert summaries[name] and len(summaries[name]) > 15, name


@pytest.mark.parametrize(
    "flag, needles",
    [
        ("--rx-desc", ["descriptors"]),
        ("--tx-desc", ["descriptors"]),
        ("--cores", ["forwarding cores"]),
        ("--burst", ["packets", "default: 32"]),
        ("--window-ms", ["milliseconds", "default: 10.0"]),
        ("--sample-interval-ms", ["milliseconds", "default: 0.5"]),
        ("--noise-cv", ["coefficient of variation", "default: 0"]),
        ("--hardware", ["default: the --configfile's `hardware`, else xeon6140-cx5-100g"]),
    ],
)
def test_sim_knob_flags_show_units_and_defaults(flag, needles):
    action = next(a for a in _subparsers()["sim"]._actions if flag in a.option_strings)
    text = action.help % {"default": action.default}
    for needle in needles:
        assert needle in text, (flag, text)


def test_workloads_lists_every_catalogue_workload_with_its_key_fields(capsys):
    assert main(["workloads"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ["name", "sizes", "(B)", "load"]
    catalogue = load_catalogue()
    rows = {line.split()[0]: line for line in out[1:]}
    assert set(rows) == set(catalogue)
    flood = rows["flood64"].split()
    assert flood[1] == "64" and "cbr" in flood and str(catalogue["flood64"].flows) in flood
    assert "64:" in rows["imix"] and "onoff" in rows["bursty"]


def test_profiles_lists_every_hardware_profile_with_cpu_and_nic(capsys):
    assert main(["profiles"]) == 0
    out = capsys.readouterr().out
    for path in HARDWARE_DIR.glob("*.yaml"):
        hw = load_hardware(path)
        row = next(line for line in out.splitlines() if line.startswith(hw.name + " "))
        assert f"{hw.cores} cores @ {hw.cpu_ghz:g} GHz" in row and f"{hw.ports}x{hw.link_gbps:g}G" in row


def test_status_outside_a_project_says_there_are_no_results(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["status"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "no dpdktune results here" in err and str(tmp_path) in err
    assert "recorded" not in out + err


def test_status_of_a_project_without_finished_runs_estimates_the_eta(tmp_path, capsys):
    (tmp_path / "characterize").mkdir()
    assert main(["status", "--results", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "0/5625 recorded" in out and "estimated from the config (no run finished yet)" in out


def test_status_with_another_config_than_snakemake_ran_says_which_campaigns_are_here(tmp_path, capsys):
    from dpdktune.campaign.status import journal_dir

    config = tmp_path / "c.yaml"
    config.write_text("trials: 2\n")
    journal_dir(load_config(config), tmp_path).mkdir(parents=True)
    assert main(["status", "--results", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "holds no run of this config's campaign" in err and journal_dir(load_config(config), tmp_path).name in err
    assert main(["status", "--results", str(tmp_path), "--configfile", str(config)]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("command", ["profiles", "workloads"])
def test_a_listing_into_a_closed_pipe_ends_quietly(command):
    """`dpdktune profiles | head -1`: a reader that has gone ends the listing, without a traceback."""
    reader, writer = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dpdktune.cli", command], stdout=writer, stderr=subprocess.PIPE, text=True
    )
    os.close(writer)
    os.close(reader)  # before the listing is written: every write meets a closed pipe
    err = proc.communicate(timeout=60)[1]
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err, err
