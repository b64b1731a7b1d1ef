"""Logs keep what helps a user: no colour codes in files, no gym banner, no "Shell command: None"."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
import yaml
from dpdktune.logs import rule_logging
from snakemake_helpers import REPO, run_snakemake, workdir


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_rule_log_files_hold_no_ansi_codes(tmp_path, capsys):
    log_file = tmp_path / "rule.log"
    with rule_logging(log_file):
        logging.getLogger("dpdktune.test").warning("\x1b[33m\x1b[1mwarning\x1b[0m from \x1b[36ma library\x1b[0m")
    text = log_file.read_text()
    assert "\x1b" not in text and "WARNING dpdktune.test: warning from a library" in text


def test_gym_banner_is_gone_once_dpdktune_rl_is_imported():
    banner = "Gym has been unmaintained"
    assert banner in _python("import gym").stderr  # what d3rlpy's import of gym prints otherwise
    assert banner not in _python("import dpdktune.rl, gym").stderr


def test_structlog_colours_only_a_terminal():
    emit = (
        "import structlog\n"
        "structlog.configure(processors=[structlog.processors.add_log_level, structlog.dev.ConsoleRenderer()])\n"
        "{}\n"
        "structlog.get_logger().warning('epoch done', loss=1.5)\n"
    )
    assert "\x1b[" in _python(emit.format("")).stdout  # as d3rlpy configures it: colour into a pipe
    out = _python(emit.format("from dpdktune.logs import colour_only_on_terminals; colour_only_on_terminals()"))
    assert "\x1b" not in out.stdout and "epoch done" in out.stdout and "loss=1.5" in out.stdout


def test_the_profile_does_not_print_shell_commands_of_script_rules():
    profile = yaml.safe_load((REPO / "profiles/default/config.yaml").read_text())
    assert not profile.get("printshellcmds")


@pytest.mark.slow
def test_a_pipeline_run_shows_its_jobs_without_shell_command_none(tmp_path):
    one = {
        "workloads": ["flood64"],
        "trials": 1,
        "grid": {"rx_desc": [256], "tx_desc": [256], "cores": [1], "burst": [32]},
        "default_config": {"rx_desc": 256, "tx_desc": 256, "cores": 1, "burst": 32},
    }
    result = run_snakemake(workdir(tmp_path, one), "--cores", "1", "characterize", timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "localrule run_batch:" in result.stderr and "flood64: 1/1 run this job" in result.stderr
    assert "Shell command" not in result.stderr + result.stdout
