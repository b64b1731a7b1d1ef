import pyarrow.compute as pc
import pytest
from dpdktune.backends import make_backend
from dpdktune.campaign.plan import campaign_workloads, expected_runs, load_campaign_hardware, workload_runs
from dpdktune.campaign.runner import run_inline, run_with_retry
from dpdktune.config import deep_merge
from dpdktune.metrics.schema import METRIC_NAMES


def test_a_campaign_records_every_run_once_with_all_metrics(small_config, tmp_path):
    records, series = run_inline(small_config, tmp_path)
    assert records.num_rows == expected_runs(small_config) == 2 * 8 * 2
    assert len(set(records["run_id"].to_pylist())) == records.num_rows
    assert pc.all(pc.equal(records["status"], "ok")).as_py()
    for name in METRIC_NAMES:
        assert records[name].null_count == 0, name
    assert set(series["run_id"].to_pylist()) == set(records["run_id"].to_pylist())


def test_rerunning_reads_the_journal_instead_of_repeating(small_config, tmp_path):
    first, _ = run_inline(small_config, tmp_path)
    again, _ = run_inline(small_config, tmp_path)
    assert again["finished_at"].to_pylist() == first["finished_at"].to_pylist()


def test_same_seed_same_dataset(small_config, tmp_path):
    a, _ = run_inline(small_config, tmp_path / "a")
    b, _ = run_inline(small_config, tmp_path / "b")
    assert a["throughput_mpps"].to_pylist() == b["throughput_mpps"].to_pylist()


def _failing(config, prob):
    return deep_merge(config, {"sim": {"failure_prob": prob}, "retry": {"attempts": 3, "backoff_s": 0.5}})


def test_injected_failures_are_retried_with_exponential_backoff(small_config):
    config = _failing(small_config, 0.5)
    backend = make_backend(config)
    specs = workload_runs(config, campaign_workloads(config)[0], load_campaign_hardware(config))
    outcomes, sleeps = [], []
    for spec in specs:
        waits: list[float] = []
        record, _ = run_with_retry(backend, spec, config["retry"], sleep=waits.append)
        outcomes.append(record)
        sleeps.append(waits)
    retried = [r for r in outcomes if r["attempts"] > 1]
    assert retried, "with p=0.5 some runs must need a retry"
    assert any(r["status"] == "ok" for r in retried), "a retry must be able to succeed"
    for record, waits in zip(outcomes, sleeps):
        assert waits == [0.5, 1.0][: record["attempts"] - 1]


def test_a_run_that_keeps_failing_is_recorded_with_its_reason(small_config, tmp_path):
    records, _ = run_inline(_failing(small_config, 1.0) | {"retry": {"attempts": 2, "backoff_s": 0.0}}, tmp_path)
    assert records.num_rows == expected_runs(small_config)
    assert set(records["status"].to_pylist()) == {"failed"}
    assert all("injected" in why for why in records["failure_reason"].to_pylist())
    assert set(records["attempts"].to_pylist()) == {2}


def test_unknown_workload_is_refused(small_config, tmp_path):
    from dpdktune.campaign.runner import run_workload

    with pytest.raises(ValueError, match="'nosuch' is not in this campaign"):
        run_workload(small_config, "nosuch", tmp_path / "j.jsonl", tmp_path)


def test_a_batch_removes_the_temporary_file_a_killed_writer_left(small_config, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from dpdktune.campaign.runner import run_batch

    out = tmp_path / "batches" / "flood64.parquet"
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from dpdktune.atomic import replacing\n"
                f"with replacing({str(out)!r}) as tmp:\n"
                "    tmp.write_bytes(b'PAR1 half a batch'); print(tmp, flush=True); time.sleep(600)"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ,
    )
    left = writer.stdout.readline().strip()
    os.kill(writer.pid, signal.SIGKILL)  # killed mid-write: its temporary stays behind
    writer.wait()
    assert os.path.exists(left)
    run_batch(
        small_config,
        "flood64",
        out,
        tmp_path / "batches" / "flood64.timeseries.parquet",
        tmp_path / "journal.jsonl",
        tmp_path / "locks",
    )
    assert not os.path.exists(left)
    assert sorted(p.name for p in out.parent.iterdir()) == ["flood64.parquet", "flood64.timeseries.parquet"]


@pytest.mark.slow
@pytest.mark.testpmd
def test_a_real_backends_records_name_the_probed_host_not_a_profile(small_config, tmp_path):
    """Every record's `hardware` is the host the local backend probed, as its provenance says."""
    from backends.backend_helpers import FAST_RUN
    from conftest import require_program
    from dpdktune.metrics.provenance import metadata_host

    testpmd = require_program("dpdk-testpmd", "the local backend runs the real testpmd")
    profile = small_config["hardware"]
    config = deep_merge(
        small_config,
        {
            "backend": "local",
            "workloads": ["flood64"],
            "trials": 1,
            "grid": {"rx_desc": [256], "tx_desc": [512], "cores": [1], "burst": [32]},
            "local": {**FAST_RUN, "testpmd": testpmd},
        },
    )
    records, _ = run_inline(config, tmp_path)
    host = metadata_host(records.schema.metadata)
    assert records.num_rows == 1 and host["hardware"].startswith(host["host"])
    assert records["hardware"].to_pylist() == [host["hardware"]]
    assert profile not in host["hardware"]
