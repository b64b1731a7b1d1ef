import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dpdktune.metrics.parquet import read_provenance, read_table, rows_to_table, write_table
from dpdktune.metrics.provenance import config_hash, provenance
from dpdktune.metrics.schema import EXPERIMENT_SCHEMA, METRIC_NAMES


def _row(i: int) -> dict:
    row = {
        "run_id": f"w-{i}",
        "campaign_id": "c",
        "backend": "sim",
        "hardware": "hw",
        "workload": "w",
        "trial": 0,
        "seed": i,
        "rx_desc": 512,
        "tx_desc": 512,
        "cores": 2,
        "burst": 32,
        "applied_rx_desc": 512,
        "applied_tx_desc": 512,
        "applied_cores": 2,
        "applied_burst": 32,
        "status": "ok",
        "attempts": 1,
        "duration_s": 0.001,
        "finished_at": 1_700_000_000_000 + i,
        "missing_reasons": json.dumps({"dram_gbps": "no PCM"}),
    }
    row.update({m: 1.5 * i for m in METRIC_NAMES if m != "cpu_util"})
    row["cpu_util"] = [1.0, 0.5]
    row["dram_gbps"] = None
    return row


def test_round_trip_keeps_values_nulls_and_provenance(tmp_path):
    prov = provenance(config={"a": 1}, backend="sim", backend_version="v", hardware="hw", seed=7)
    table = rows_to_table([_row(i) for i in range(3)], EXPERIMENT_SCHEMA)
    write_table(table, tmp_path / "d.parquet", EXPERIMENT_SCHEMA, prov)
    back = read_table(tmp_path / "d.parquet", EXPERIMENT_SCHEMA)
    assert back.schema.equals(EXPERIMENT_SCHEMA, check_metadata=False)
    assert back["throughput_mpps"].to_pylist() == [0.0, 1.5, 3.0]
    assert back["dram_gbps"].null_count == 3
    assert back["cpu_util"].to_pylist()[1] == [1.0, 0.5]
    meta = read_provenance(tmp_path / "d.parquet")
    assert meta == prov
    assert set(meta) == {
        "dpdktune_version",
        "git_commit",
        "config_hash",
        "backend",
        "backend_version",
        "hardware",
        "hardware_source",
        "seed",
    }
    assert not list(tmp_path.glob(".*tmp*")), "the temporary file must be renamed away"


def test_reading_a_file_without_a_schema_column_fails_loudly(tmp_path):
    pq.write_table(pa.table({"run_id": ["x"]}), tmp_path / "bad.parquet")
    with pytest.raises(ValueError, match="columns missing"):
        read_table(tmp_path / "bad.parquet", EXPERIMENT_SCHEMA)
    with pytest.raises(ValueError, match="no dpdktune provenance"):
        read_provenance(tmp_path / "bad.parquet")


def test_config_hash_ignores_key_order_but_not_values():
    assert config_hash({"a": 1, "b": [1, 2]}) == config_hash({"b": [1, 2], "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})


def test_a_damaged_page_is_refused_by_its_checksum_and_the_error_names_the_file(tmp_path):
    from dpdktune.metrics.parquet import DamagedFile

    prov = provenance(config={"a": 1}, backend="sim", backend_version="v", hardware="hw", seed=7)
    path = tmp_path / "d.parquet"
    write_table(rows_to_table([_row(i) for i in range(2000)], EXPERIMENT_SCHEMA), path, EXPERIMENT_SCHEMA, prov)
    chunk = pq.ParquetFile(path).metadata.row_group(0).column(EXPERIMENT_SCHEMA.get_field_index("run_id"))
    data = bytearray(path.read_bytes())
    data[chunk.data_page_offset + chunk.total_compressed_size // 2] ^= 0x10  # inside the page's body
    path.write_bytes(bytes(data))
    with pytest.raises(DamagedFile, match="CRC") as caught:
        read_table(path, EXPERIMENT_SCHEMA)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_truncated_file_is_named_in_the_error(tmp_path):
    from dpdktune.metrics.parquet import DamagedFile

    prov = provenance(config={"a": 1}, backend="sim", backend_version="v", hardware="hw", seed=7)
    path = tmp_path / "d.parquet"
    write_table(rows_to_table([_row(i) for i in range(50)], EXPERIMENT_SCHEMA), path, EXPERIMENT_SCHEMA, prov)
    path.write_bytes(path.read_bytes()[:-100])
    for read in (lambda: read_table(path, EXPERIMENT_SCHEMA), lambda: read_provenance(path)):
        with pytest.raises(DamagedFile, match=str(path)):
            read()
