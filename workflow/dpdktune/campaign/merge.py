"""Merge the per-workload batches into the campaign dataset, its time series and its manifest.

Every batch is read with its page checksums verified. A damaged batch is named in a warning and
rebuilt from its run journal (the journal is the record; the batch file is derived from it), so
the merge goes on; only a batch whose journal lacks runs stops the merge, naming both files.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dpdktune.atomic import remove_stale_temporaries, replacing, write_json
from dpdktune.campaign.partitioned import read_batch, write_partitioned
from dpdktune.campaign.plan import campaign_id, expected_runs
from dpdktune.dataset import open_dataset, read_columns
from dpdktune.metrics.parquet import (
    READ_OPTIONS,
    WRITE_OPTIONS,
    DamagedFile,
    naming_damage,
    read_provenance,
    read_table,
    stamped,
    write_table,
)
from dpdktune.metrics.provenance import campaign_provenance
from dpdktune.metrics.schema import EXPERIMENT_SCHEMA, TIMESERIES_SCHEMA
from dpdktune.sections import section

log = logging.getLogger("dpdktune.campaign")


def manifest(config: dict[str, Any], records: pa.Table, provenance: dict[str, str]) -> dict[str, Any]:
    """Expected, done and failed counts, every failed run with its reason, and provenance."""
    failed = records.filter(pc.equal(records["status"], "failed"))
    return {
        "campaign_id": campaign_id(config),
        "expected_runs": expected_runs(config),
        "recorded_runs": records.num_rows,
        "done_runs": records.num_rows - failed.num_rows,
        "failed_runs": failed.num_rows,
        "failures": [
            {"run_id": r, "workload": w, "reason": why, "attempts": a}
            for r, w, why, a in zip(
                failed["run_id"].to_pylist(),
                failed["workload"].to_pylist(),
                failed["failure_reason"].to_pylist(),
                failed["attempts"].to_pylist(),
            )
        ],
        "provenance": provenance,
    }


def failure_verdict(summary: dict[str, Any], max_failed_share: float) -> str | None:
    """None when the campaign's failures are acceptable, else one line saying why not: every
    run failed, or a larger share than `max_failed_share`."""
    failed, total = summary["failed_runs"], summary["recorded_runs"]
    if not failed or (failed < total and failed <= max_failed_share * total):
        return None
    reasons = sorted({f["reason"] for f in summary["failures"]})
    first = " ".join(str(reasons[0]).split())[:160] if reasons else "unknown"
    why = "every run failed" if failed == total else f"above max_failed_share {100.0 * max_failed_share:.1f} %"
    return (
        f"characterize: {failed} of {total} runs failed ({100.0 * failed / total:.1f} %), {why}; "
        f"first reason: {first}; the records are kept (results/characterize/manifest.json lists every failure)"
    )


class Batches:
    """The batch files of one merge, read with page checksums verified. With `journal_dir`, a
    damaged batch is rebuilt from `<journal_dir>/<workload>.jsonl` and read again."""

    def __init__(
        self, config: dict[str, Any], record_files: Sequence[str | Path], journal_dir: str | Path | None = None
    ):
        self.config = config
        self.journal_dir = None if journal_dir is None else Path(journal_dir)
        self.record_files = [Path(f) for f in record_files]
        self.rebuilt: list[str] = []
        self._own: dict[str, dict[str, str]] = {}  # each intact batch's own provenance, by workload
        self.provenance = self._provenance()

    def _provenance(self) -> dict[str, str]:
        """The campaign's provenance, from every batch whose footer is intact: each testbed's host."""
        first: DamagedFile | None = None
        hardware: list[str] = []
        for f in self.record_files:
            try:
                self._own[_workload(f)] = read_provenance(f)
                with naming_damage(f):  # a batch rewritten on another testbed keeps its records' hosts
                    column = pq.read_table(f, columns=["hardware"], **READ_OPTIONS)["hardware"]
                hardware += pc.unique(column).to_pylist()
            except DamagedFile as exc:
                first = first or exc
        if not self._own:
            raise first or ValueError("no batch files to merge")
        return campaign_provenance(list(self._own.values()), hardware)

    def read(self, path: str | Path, schema: pa.Schema | None = None) -> pa.Table:
        """A batch file's table, cast to `schema` (None: as written, for the partitioned merge)."""

        def read() -> pa.Table:
            return read_batch(path) if schema is None else read_table(path, schema)

        try:
            return read()
        except DamagedFile as exc:
            self._rebuild(Path(path), exc)
            return read()

    def _rebuild(self, path: Path, damage: DamagedFile) -> None:
        from dpdktune.campaign.runner import rebuild_batch

        workload = _workload(path)
        if self.journal_dir is None or workload in self.rebuilt:
            raise damage
        journal = self.journal_dir / f"{workload}.jsonl"
        log.warning("%s; rebuilding the batch from its journal %s", damage, journal)
        try:
            rebuild_batch(
                self.config,
                workload,
                journal,
                path.with_name(f"{workload}.parquet"),
                path.with_name(f"{workload}.timeseries.parquet"),
                self._own.get(workload, self.provenance),
            )
        except ValueError as why:
            raise DamagedFile(
                f"{damage}, and its journal cannot rebuild it: {why}; delete {path} and run "
                "again to redo the missing runs"
            ) from None
        self.rebuilt.append(workload)


def _workload(batch: Path) -> str:
    return batch.name.removesuffix(".parquet").removesuffix(".timeseries")


def merge_batches(
    config: dict[str, Any],
    record_files: Sequence[str | Path],
    timeseries_files: Sequence[str | Path],
    dataset_out: str | Path,
    timeseries_out: str | Path,
    manifest_out: str | Path,
    journal_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Merge the batches; with `journal_dir`, a damaged batch is rebuilt from its journal.
    Every output is written to a temporary name and renamed into place only on success."""
    for out in (dataset_out, timeseries_out, manifest_out):
        remove_stale_temporaries(out)  # left by a merge that was killed
    batches = Batches(config, record_files, journal_dir)
    if section(config, "output").partitioned:  # stream batch by batch: bounded memory
        return merge_partitioned(
            config, batches, record_files, timeseries_files, dataset_out, timeseries_out, manifest_out
        )
    provenance = batches.provenance
    records = pa.concat_tables(batches.read(f, EXPERIMENT_SCHEMA) for f in record_files)
    write_table(records, dataset_out, EXPERIMENT_SCHEMA, provenance)
    schema = stamped(TIMESERIES_SCHEMA, provenance)
    with replacing(timeseries_out) as tmp, pq.ParquetWriter(tmp, schema, **WRITE_OPTIONS) as writer:
        for f in timeseries_files:  # one batch at a time keeps memory flat
            writer.write_table(batches.read(f, TIMESERIES_SCHEMA).cast(writer.schema))
    summary = manifest(config, records, provenance)
    write_json(summary, manifest_out)
    return summary


def merge_partitioned(
    config: dict[str, Any],
    batches: Any,
    record_files: Sequence[str | Path],
    timeseries_files: Sequence[str | Path],
    dataset_out: str | Path,
    timeseries_out: str | Path,
    manifest_out: str | Path,
) -> dict[str, Any]:
    """`merge_batches` for `output.partitioned: true`: batches (read through
    `Batches`) stream into two partitioned datasets, and the manifest reads back only the
    columns it needs."""
    provenance = batches.provenance
    write_partitioned(record_files, dataset_out, EXPERIMENT_SCHEMA, provenance, read=batches.read)
    write_partitioned(timeseries_files, timeseries_out, TIMESERIES_SCHEMA, provenance, read=batches.read)
    outcomes = read_columns(dataset_out, ["run_id", "workload", "status", "failure_reason", "attempts"])
    summary = manifest(config, outcomes, provenance)
    write_json(summary, manifest_out)
    return summary


def export_csv(dataset: str | Path, csv_out: str | Path) -> None:
    """The plan's "single CSV with all metrics"; per-core `cpu_util` becomes "u0;u1;..."."""
    records = open_dataset(dataset, EXPERIMENT_SCHEMA).to_table()
    per_core = pc.binary_join(pc.cast(records["cpu_util"], pa.list_(pa.string())), ";")
    index = records.schema.get_field_index("cpu_util")
    records = records.set_column(index, "cpu_util", per_core)
    with replacing(csv_out) as tmp:
        pacsv.write_csv(records, tmp)
