"""Run one workload's batch of experiments: skip what the journal has, retry, record, write Parquet."""

from __future__ import annotations

import json
import logging
import time
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from dpdktune.atomic import remove_stale_temporaries
from dpdktune.backends import Backend, RunFailed, RunResult, RunSpec, make_backend
from dpdktune.campaign.journal import Journal, read_journal
from dpdktune.campaign.plan import campaign_id, campaign_workloads, load_campaign_hardware, workload_runs
from dpdktune.campaign.testbeds import acquire_testbed
from dpdktune.metrics.parquet import rows_to_table, write_table
from dpdktune.metrics.provenance import backend_metadata, metadata_host, provenance
from dpdktune.metrics.schema import (
    EXPERIMENT_SCHEMA,
    KNOB_NAMES,
    METRIC_NAMES,
    TIMESERIES_METRICS,
    TIMESERIES_SCHEMA,
)
from dpdktune.sections import RetrySettings, section

log = logging.getLogger("dpdktune.campaign")


def run_with_retry(
    backend: Backend,
    spec: RunSpec,
    retry: RetrySettings | dict[str, Any],
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[dict[str, Any], dict[str, list[float]]]:
    """One run, retried with exponential backoff; a run that keeps failing becomes a failed record."""
    if not isinstance(retry, RetrySettings):
        retry = RetrySettings.from_config(retry)
    attempts, delay = retry.attempts, retry.backoff_s
    started = time.perf_counter()
    failure: RunFailed | None = None
    for attempt in range(1, attempts + 1):
        try:
            result = backend.run(spec)
        except RunFailed as exc:
            failure = exc
            log.warning("%s: attempt %d/%d failed: %s", spec.run_id, attempt, attempts, exc.reason)
            if not exc.retryable or attempt == attempts:
                break
            sleep(delay)
            delay *= retry.backoff_factor
            continue
        record = _record(spec, backend, result, attempt, time.perf_counter() - started)
        return record, _timeseries(result)
    assert failure is not None
    record = _record(spec, backend, None, attempt, time.perf_counter() - started)
    record.update(status="failed", failure_reason=failure.reason, log_tail=failure.log_tail[-4000:])
    return record, {}


def _record(
    spec: RunSpec, backend: Backend, result: RunResult | None, attempts: int, duration_s: float
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "run_id": spec.run_id,
        "backend": backend.name,
        "hardware": record_hardware(backend, spec),
        "workload": spec.workload.name,
        "trial": spec.trial,
        "seed": spec.seed,
        **spec.knobs.as_dict(),
        "status": "ok",
        "failure_reason": None,
        "attempts": attempts,
        "duration_s": duration_s,
        "finished_at": int(datetime.now(UTC).timestamp() * 1000),
    }
    if result is not None:
        missing = dict(result.missing_reasons)
        for name in METRIC_NAMES:
            value = result.metrics.get(name)
            if value is None and name not in missing:
                missing[name] = f"backend {backend.name} did not report it"
            record[name] = _plain(value)
        for knob in KNOB_NAMES:
            record[f"applied_{knob}"] = getattr(result.applied, knob)
        record["binding_limit"] = result.extra.get("binding_limit")
        record["missing_reasons"] = json.dumps(missing, sort_keys=True) if missing else None
        record["extra"] = json.dumps(result.extra, sort_keys=True, default=_plain) if result.extra else None
        record["log_tail"] = result.log_tail[-4000:] or None
    return record


#: each real backend's host line, probed once per backend (an unreachable DUT costs one timeout)
_HOST_LINES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def record_hardware(backend: Backend, spec: RunSpec) -> str:
    """A record's `hardware`: the simulator's profile on `sim`; on a real backend the host it
    probed (the same line as the provenance's `hardware`), never a simulator profile."""
    if backend.name == "sim":
        return spec.hardware.name
    if backend not in _HOST_LINES:
        _HOST_LINES[backend] = backend.host().get("hardware") or f"unknown: the {backend.name} host was not probed"
    return _HOST_LINES[backend]


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as JSON-able Python values."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _timeseries(result: RunResult) -> dict[str, list[float]]:
    series = result.timeseries
    if not series:
        return {}
    n = len(series["t_s"])
    out = {"t_s": np.asarray(series["t_s"], float).tolist()}
    for name in TIMESERIES_METRICS:
        values = series.get(name)
        out[name] = [None] * n if values is None else np.asarray(values, float).tolist()
    return out


def _timeseries_table(entries: list[dict[str, Any]]) -> pa.Table:
    columns: dict[str, list] = {f.name: [] for f in TIMESERIES_SCHEMA}
    for entry in entries:
        series = entry["timeseries"]
        if not series:
            continue
        n = len(series["t_s"])
        columns["run_id"] += [entry["record"]["run_id"]] * n
        columns["workload"] += [entry["record"]["workload"]] * n
        for name in ("t_s",) + TIMESERIES_METRICS:
            columns[name] += series[name]
    return pa.table(columns, schema=TIMESERIES_SCHEMA)


def run_workload(
    config: dict[str, Any],
    workload_name: str,
    journal_path: str | Path,
    lock_dir: str | Path,
    progress_every_s: float = 10.0,
) -> tuple[pa.Table, pa.Table]:
    """Run every run of one workload not yet in the journal; return the batch's tables."""
    workloads = {w.name: w for w in campaign_workloads(config)}
    if workload_name not in workloads:
        raise ValueError(f"workloads: {workload_name!r} is not in this campaign")
    cid = campaign_id(config)
    specs = workload_runs(config, workloads[workload_name], load_campaign_hardware(config))
    with Journal(journal_path) as journal, acquire_testbed(config, lock_dir) as testbed:
        todo = [s for s in specs if s.run_id not in journal]
        log.info(
            "%s: %d runs, %d already journaled, %d to run (campaign %s, testbed %s)",
            workload_name,
            len(specs),
            len(specs) - len(todo),
            len(todo),
            cid,
            testbed,
        )
        backend = make_backend(config, testbed=testbed)
        started = last_report = time.perf_counter()
        try:
            for done, spec in enumerate(todo, 1):
                record, series = run_with_retry(backend, spec, section(config, "retry"))
                record["campaign_id"] = cid
                journal.append(record, series)
                now = time.perf_counter()
                if now - last_report >= progress_every_s or done == len(todo):
                    rate = done / (now - started)
                    log.info(
                        "%s: %d/%d run this job, %.1f runs/s, ETA %.0f s",
                        workload_name,
                        done,
                        len(todo),
                        rate,
                        (len(todo) - done) / rate if rate else float("nan"),
                    )
                    last_report = now
        finally:
            backend.close()
        entries = [journal.entries[s.run_id] for s in specs]
        metadata = backend_metadata(backend)
    return _batch_tables(entries, metadata)


def _batch_tables(entries: list[dict[str, Any]], metadata: dict[bytes, bytes]) -> tuple[pa.Table, pa.Table]:
    records = rows_to_table((e["record"] for e in entries), EXPERIMENT_SCHEMA)
    records = records.replace_schema_metadata(metadata)
    return records, _timeseries_table(entries)


def rebuild_batch(
    config: dict[str, Any],
    workload_name: str,
    journal_path: str | Path,
    records_out: str | Path,
    timeseries_out: str | Path,
    provenance: dict[str, str],
) -> None:
    """Write a batch's two Parquet files again from its journal alone, running nothing (for a
    batch file found damaged); ValueError naming what is missing if the journal lacks runs."""
    workloads = {w.name: w for w in campaign_workloads(config)}
    if workload_name not in workloads:
        raise ValueError(f"workloads: {workload_name!r} is not in this campaign")
    specs = workload_runs(config, workloads[workload_name], load_campaign_hardware(config))
    entries = {e["record"]["run_id"]: e for e in read_journal(journal_path)}  # a later line wins
    missing = [s.run_id for s in specs if s.run_id not in entries]
    if missing:
        raise ValueError(
            f"{journal_path}: holds {len(specs) - len(missing)} of the batch's {len(specs)} runs "
            f"(first missing: {missing[0]})"
        )
    metadata = {b"backend_version": provenance.get("backend_version", "").encode()}
    records, series = _batch_tables([entries[s.run_id] for s in specs], metadata)
    write_table(records, records_out, EXPERIMENT_SCHEMA, provenance)
    write_table(series, timeseries_out, TIMESERIES_SCHEMA, provenance)


def run_batch(
    config: dict[str, Any],
    workload_name: str,
    records_out: str | Path,
    timeseries_out: str | Path,
    journal_path: str | Path,
    lock_dir: str | Path,
) -> None:
    """The `run_batch` rule: one workload's runs into two Parquet files (written atomically)."""
    for out in (records_out, timeseries_out):
        remove_stale_temporaries(out)  # left by an attempt that was killed mid-write
    records, series = run_workload(config, workload_name, journal_path, lock_dir)
    prov = batch_provenance(config, records)
    write_table(records, records_out, EXPERIMENT_SCHEMA, prov)
    write_table(series, timeseries_out, TIMESERIES_SCHEMA, prov)


def batch_provenance(config: dict[str, Any], records: pa.Table) -> dict[str, str]:
    meta = records.schema.metadata or {}
    return provenance(
        config=config,
        backend=config["backend"],
        backend_version=meta.get(b"backend_version", b"unknown").decode(),
        hardware=config["hardware"],
        seed=config["seed"],
        host=metadata_host(meta),
    )


def run_inline(config: dict[str, Any], workdir: str | Path) -> tuple[pa.Table, pa.Table]:
    """A whole (small) campaign in this process, journaled under `workdir`; for tests and notebooks."""
    workdir = Path(workdir)
    tables = [
        run_workload(config, w.name, workdir / "journal" / f"{w.name}.jsonl", workdir / "locks")
        for w in campaign_workloads(config)
    ]
    records = pa.concat_tables([t[0] for t in tables]).replace_schema_metadata(tables[0][0].schema.metadata)
    return records, pa.concat_tables([t[1] for t in tables])
