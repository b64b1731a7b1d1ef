"""campaign/merge.py: a damaged batch is rebuilt from its journal; a failed merge keeps the last good dataset."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dpdktune.campaign.plan import campaign_id, expected_runs
from dpdktune.config import load_config
from dpdktune.metrics.parquet import DamagedFile, read_table
from dpdktune.metrics.schema import EXPERIMENT_SCHEMA
from snakemake_helpers import run_snakemake, workdir

CAMPAIGN = {
    "workloads": ["flood64", "bursty"],
    "grid": {"rx_desc": [256, 1024], "tx_desc": [512], "cores": [1, 4], "burst": [32]},
    "trials": 3,
    "default_config": {"rx_desc": 1024, "tx_desc": 512, "cores": 4, "burst": 32},
}


def _damage(path):
    """Overwrite the middle half of the run_id column chunk (pages, as a bad disk block would)."""
    chunk = pq.ParquetFile(path).metadata.row_group(0).column(EXPERIMENT_SCHEMA.get_field_index("run_id"))
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    size = chunk.total_compressed_size
    data = bytearray(path.read_bytes())
    data[start + size // 4 : start + 3 * size // 4] = b"\xaa" * (3 * size // 4 - size // 4)
    path.write_bytes(bytes(data))


@pytest.fixture
def characterized(tmp_path):
    work = workdir(tmp_path, CAMPAIGN)
    result = run_snakemake(work, "--cores", "1", "characterize")
    assert result.returncode == 0, result.stdout + result.stderr
    return work


@pytest.mark.slow
def test_a_damaged_batch_is_named_and_rebuilt_from_its_journal(characterized):
    work = characterized
    results = work / "results" / "characterize"
    before = pq.read_table(results / "dataset.parquet")
    batch = results / "batches" / "flood64.parquet"
    _damage(batch)

    result = run_snakemake(work, "--cores", "1", "characterize")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert f"{batch}" in out or "batches/flood64.parquet" in out, "the damaged file is named"
    after = pq.read_table(results / "dataset.parquet")
    assert after.sort_by("run_id").equals(before.sort_by("run_id")), "same records, from the journal"
    assert read_table(batch, EXPERIMENT_SCHEMA).num_rows == expected_runs(load_config(work / "override.yaml")) // 2


@pytest.mark.slow
def test_a_merge_that_cannot_repair_a_batch_fails_naming_it_and_keeps_the_last_good_dataset(characterized):
    work = characterized
    results = work / "results" / "characterize"
    config = load_config(work / "override.yaml")
    good = {name: (results / name).read_bytes() for name in ("dataset.parquet", "timeseries.parquet", "manifest.json")}
    batch = results / "batches" / "flood64.parquet"
    _damage(batch)
    (results / "journal" / campaign_id(config) / "flood64.jsonl").unlink()  # nothing to rebuild from

    result = run_snakemake(work, "--cores", "1", "characterize")
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    named = [line for line in out.splitlines() if "batches/flood64.parquet" in line and "damaged" in line]
    assert named, out
    for name, data in good.items():
        assert (results / name).read_bytes() == data, f"{name}: the last good output must be kept"
    assert json.loads(good["manifest.json"])["done_runs"] == expected_runs(config)


def _journal_lines(work, config):
    folder = work / "results" / "characterize" / "journal" / campaign_id(config)
    return sum(p.read_text().count("\n") for p in folder.glob("*.jsonl"))


def _failing(prob, **more):
    return {**CAMPAIGN, "trials": 2, "sim": {"failure_prob": prob}, "retry": {"attempts": 1}, **more}


@pytest.mark.slow
def test_a_campaign_in_which_every_run_failed_exits_non_zero_and_keeps_its_records(tmp_path):
    work = workdir(tmp_path, _failing(1.0, max_failed_share=1.0))  # even the most lenient share
    config = load_config(work / "override.yaml")
    result = run_snakemake(work, "--cores", "1", "characterize")
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    verdict = [line for line in out.splitlines() if "runs failed" in line]
    assert (
        len(verdict) == 1 and f"{expected_runs(config)} of {expected_runs(config)} runs failed (100.0 %)" in verdict[0]
    ), out
    results = work / "results" / "characterize"
    assert _journal_lines(work, config) == expected_runs(config), "every failed run stays recorded"
    dataset = pq.read_table(results / "dataset.parquet")
    assert dataset.num_rows == expected_runs(config) and set(dataset["status"].to_pylist()) == {"failed"}
    assert json.loads((results / "manifest.json").read_text())["failed_runs"] == expected_runs(config)


@pytest.mark.slow
def test_a_campaign_above_the_failure_share_exits_non_zero_and_one_below_it_passes(tmp_path):
    work = workdir(tmp_path, _failing(0.3))  # the default share (5 %) is far below 30 %
    config = load_config(work / "override.yaml")
    result = run_snakemake(work, "--cores", "1", "characterize")
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    manifest = json.loads((work / "results/characterize/manifest.json").read_text())
    failed, expected = manifest["failed_runs"], expected_runs(config)
    assert 0 < failed < expected
    verdict = [line for line in out.splitlines() if "runs failed" in line]
    assert len(verdict) == 1 and f"{failed} of {expected} runs failed" in verdict[0], out
    assert "max_failed_share 5.0 %" in verdict[0], out
    assert (work / "results/characterize/dataset.parquet").exists()

    (work / "override.yaml").write_text(json.dumps(_failing(0.3, max_failed_share=0.9)))
    again = run_snakemake(work, "--cores", "1", "characterize")
    assert again.returncode == 0, again.stdout + again.stderr
    assert _journal_lines(work, config) == expected, "raising the share re-ran nothing"


@pytest.mark.parametrize("partitioned", [False, True])
def test_merge_batches_rebuilds_a_damaged_batch_in_either_layout(small_config, tmp_path, partitioned):
    from dpdktune.campaign.merge import merge_batches
    from dpdktune.campaign.runner import run_batch
    from dpdktune.config import deep_merge
    from dpdktune.dataset import open_dataset

    config = deep_merge(small_config, {"output": {"partitioned": partitioned}})
    batches, journals = tmp_path / "batches", tmp_path / "journal"
    names = config["workloads"]
    for name in names:
        run_batch(
            config,
            name,
            batches / f"{name}.parquet",
            batches / f"{name}.timeseries.parquet",
            journals / f"{name}.jsonl",
            tmp_path / "locks",
        )
    records = [batches / f"{n}.parquet" for n in names]
    series = [batches / f"{n}.timeseries.parquet" for n in names]
    suffix = "" if partitioned else ".parquet"
    outs = [tmp_path / f"dataset{suffix}", tmp_path / f"timeseries{suffix}", tmp_path / "manifest.json"]
    merge_batches(config, records, series, *outs, journal_dir=journals)
    before = open_dataset(outs[0]).to_table().sort_by("run_id")

    _damage(records[0])
    with pytest.raises(DamagedFile, match=str(records[0])):
        merge_batches(config, records, series, *outs)  # no journals given: nothing to rebuild from
    merge_batches(config, records, series, *outs, journal_dir=journals)
    assert open_dataset(outs[0]).to_table().sort_by("run_id").equals(before)
    assert read_table(records[0], EXPERIMENT_SCHEMA).num_rows == before.num_rows // len(names)


@pytest.mark.parametrize("partitioned", [False, True])
def test_a_dataset_from_several_testbeds_names_every_host(small_config, tmp_path, partitioned):
    """Batches run on two ssh testbeds: the dataset's provenance lists both hosts, its hardware
    names both, and no single testbed's keys claim the whole dataset; the report shows both."""
    from dpdktune.campaign.merge import merge_batches
    from dpdktune.campaign.runner import run_batch
    from dpdktune.config import deep_merge
    from dpdktune.dataset import open_dataset
    from dpdktune.metrics.parquet import read_provenance, write_table
    from dpdktune.metrics.provenance import provenance
    from dpdktune.report.build import _hardware

    config = deep_merge(small_config, {"output": {"partitioned": partitioned}})
    batches = tmp_path / "batches"
    names = config["workloads"]
    hosts = {
        name: {
            "host": f"dut{i}",
            "host_cpu": f"CPU model {i}",
            "testbed": f"box{i}",
            "host_address": f"root@10.0.0.{i}:22",
            "dpdk_version": "DPDK 22.11.4",
            "hardware": f"dut{i}: CPU model {i}, 1 socket(s)",
        }
        for i, name in enumerate(names, 1)
    }
    for name in names:
        files = batches / f"{name}.parquet", batches / f"{name}.timeseries.parquet"
        run_batch(config, name, *files, tmp_path / "journal" / f"{name}.jsonl", tmp_path / "locks")
        # the same records, stamped as the ssh runner stamps a batch that ran on this testbed
        prov = provenance(
            config=config,
            backend="ssh",
            backend_version=f"DPDK 22.11.4 on {hosts[name]['testbed']}",
            hardware=config["hardware"],
            seed=config["seed"],
            host=hosts[name],
        )
        for f, schema in zip(files, (EXPERIMENT_SCHEMA, None)):
            table = pq.read_table(f)
            if schema is not None:  # each record names the host that ran it
                column = pa.array([hosts[name]["hardware"]] * table.num_rows)
                table = table.set_column(table.schema.get_field_index("hardware"), "hardware", column)
            write_table(table, f, schema or table.schema, prov)
    suffix = "" if partitioned else ".parquet"
    outs = [tmp_path / f"dataset{suffix}", tmp_path / f"timeseries{suffix}", tmp_path / "manifest.json"]
    merge_batches(
        config, [batches / f"{n}.parquet" for n in names], [batches / f"{n}.timeseries.parquet" for n in names], *outs
    )

    prov = read_provenance(next(outs[0].glob("**/*.parquet")) if partitioned else outs[0])
    listed = json.loads(prov["hosts"])
    assert [h["testbed"] for h in listed] == ["box1", "box2"]
    assert [h["host_cpu"] for h in listed] == ["CPU model 1", "CPU model 2"]
    assert prov["hardware"] == "2 hosts: dut1: CPU model 1, 1 socket(s) | dut2: CPU model 2, 1 socket(s)"
    assert prov["backend_version"] == "DPDK 22.11.4 on box1; DPDK 22.11.4 on box2"
    assert "testbed" not in prov and "host_cpu" not in prov
    assert json.loads(outs[2].read_text())["provenance"]["hosts"] == prov["hosts"]
    assert open_dataset(outs[0]).to_table().num_rows == expected_runs(config)
    shown = _hardware(prov, config)["hardware"]
    assert "dut1: CPU model 1" in shown and "dut2: CPU model 2" in shown
