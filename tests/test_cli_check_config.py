"""`dpdktune check-config`: every problem the config alone shows, one line each; run count and ETA."""

from __future__ import annotations

import pytest
from dpdktune.campaign.status import estimated_run_s, format_duration
from dpdktune.cli import main
from dpdktune.config import load_config


def _check(tmp_path, capsys, text: str, *extra: str) -> tuple[int, str, list[str]]:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    rc = main(["check-config", str(path), *extra])
    out, err = capsys.readouterr()
    return rc, out, err.splitlines()


def _testbed(tmp_path, known_hosts: str, key_file: str) -> str:
    return (
        f"backend: ssh\nssh:\n  testbeds:\n    - name: lab\n      known_hosts: {known_hosts}\n"
        f"      dut: {{host: dut1.example.org, user: dpdk, key_file: {key_file}}}\n"
        f"      generator: {{host: gen1.example.org, user: dpdk, key_file: {key_file}}}\n"
    )


def test_the_defaults_print_the_run_count_and_the_status_models_eta(tmp_path, capsys):
    rc, out, err = _check(tmp_path, capsys, "{}\n", "--jobs", "2")
    assert rc == 0 and err == []
    runs = 15 * 125 * 3
    eta = format_duration(runs * estimated_run_s(load_config()) / 2)
    assert f"5,625 runs on backend sim, ETA {eta} at 2 parallel job(s)" in out


@pytest.mark.parametrize(
    "text, line",
    [
        ("trials: 3.0\n", "trials: 3.0 is not an integer (write 3 if that is meant)"),
        (
            "backend: ssh\n",
            "ssh.testbeds: backend is ssh but no testbed is configured (see config/testbeds.example.yaml)",
        ),
        ("sim: {window_ms: .inf}\n", "sim.window_ms: inf is not a finite number"),
        ("trials: [3]\n", "trials: [3] is not of type 'integer'"),
        ("workloads: [flood64, nosuch]\n", "unknown workload names ['nosuch']"),
    ],
)
def test_each_problem_is_one_line(tmp_path, capsys, text, line):
    rc, out, err = _check(tmp_path, capsys, text)
    assert rc == 2 and out == ""
    assert len(err) == 1 and line in err[0] and err[0].startswith("dpdktune check-config: ")


def test_missing_key_and_known_hosts_files_are_named(tmp_path, capsys):
    rc, _, err = _check(tmp_path, capsys, _testbed(tmp_path, f"{tmp_path}/no_known_hosts", f"{tmp_path}/no_key"))
    assert rc == 2
    assert err == [
        f"dpdktune check-config: ssh.testbeds[0].known_hosts: {tmp_path}/no_known_hosts does not exist (testbed lab)",
        f"dpdktune check-config: ssh.testbeds[0].dut.key_file: {tmp_path}/no_key does not exist (testbed lab)",
        f"dpdktune check-config: ssh.testbeds[0].generator.key_file: {tmp_path}/no_key does not exist (testbed lab)",
    ]


def test_an_ssh_config_with_its_files_present_is_ok(tmp_path, capsys):
    (tmp_path / "kh").write_text("")
    (tmp_path / "key").write_text("")
    rc, out, err = _check(tmp_path, capsys, _testbed(tmp_path, f"{tmp_path}/kh", f"{tmp_path}/key"))
    assert rc == 0 and err == [] and "runs on backend ssh" in out


def test_a_huge_campaign_needs_max_runs_and_is_never_enumerated(tmp_path, capsys, monkeypatch):
    import dpdktune.knobs
    import dpdktune.workloads

    def refuse(*args, **kwargs):
        raise AssertionError("check-config enumerated the campaign")

    monkeypatch.setattr(dpdktune.knobs, "expand_grid", refuse)
    monkeypatch.setattr(dpdktune.workloads, "generate", refuse)
    cores = ",".join(map(str, range(1, 3001)))
    bursts = ",".join(map(str, range(1, 1025)))
    text = (
        f"workloads: {{generate: {{count: 100000}}}}\ntrials: 100\n"
        f"grid: {{rx_desc: [8,16,32,64,128,256,512,1024,2048,4096], tx_desc: [64,128], cores: [{cores}], "
        f"burst: [{bursts}]}}\n"
    )
    runs = 100000 * 10 * 2 * 3000 * 1024 * 100
    rc, out, err = _check(tmp_path, capsys, text)
    assert rc == 2 and len(err) == 1 and f"the campaign has {runs:,} runs, above max_runs = 1,000,000" in err[0]
    rc, out, err = _check(tmp_path, capsys, text, "--max-runs", str(runs))
    assert rc == 0 and f"{runs:,} runs" in out and "days" in out
    rc, out, err = _check(tmp_path, capsys, text + f"max_runs: {runs}\n")
    assert rc == 0, err


def test_files_merge_in_order_and_a_bad_file_names_its_line(tmp_path, capsys):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("trials: 1\n")
    second.write_text("workloads: [flood64]\nworkloads: [bursty]\n")
    assert main(["check-config", str(first), "--configfile", str(second)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"dpdktune check-config: {second}:2: invalid YAML: duplicate key 'workloads' (first given on line 1)"
    ]
    second.write_text("workloads: [flood64]\n")
    assert main(["check-config", str(first), "--configfile", str(second)]) == 0
    assert "125 runs" in capsys.readouterr().out


@pytest.mark.parametrize(
    "text, held", [("workloads: [flood64]\n", 1), ("workloads: [flood64, imix]\nbaselines: {test_fraction: 0.8}\n", 2)]
)
def test_too_few_workloads_for_the_held_out_splits_is_a_note_not_an_error(tmp_path, capsys, text, held):
    rc, out, err = _check(tmp_path, capsys, text)
    assert rc == 0 and err == []
    note = out.splitlines()[-1]
    assert note.startswith("note: workloads: ") and f"hold out {held} and leave none" in note
    assert "baselines.test_fraction" in note


def test_enough_workloads_print_no_note(tmp_path, capsys):
    rc, out, err = _check(tmp_path, capsys, "workloads: [flood64, imix]\n")
    assert rc == 0 and "note:" not in out


def test_a_real_backend_with_latency_objectives_gets_a_note(tmp_path, capsys):
    rc, out, err = _check(tmp_path, capsys, "backend: local\n")
    assert rc == 0 and err == []
    note = out.splitlines()[-1]
    assert note.startswith("note: objective and decision.objectives: cores_at_slo,") and "latency_p99_us" in note
    rc, out, err = _check(
        tmp_path, capsys, "backend: local\nobjective: throughput_mpps\ndecision: {objectives: [zero_loss_mpps]}\n"
    )
    assert rc == 0 and "note:" not in out
