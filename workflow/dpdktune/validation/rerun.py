"""Re-run exactly the failed and missing points that validation listed (rule `rerun_failed`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from dpdktune.backends import make_backend
from dpdktune.campaign.plan import campaign_id, campaign_workloads, load_campaign_hardware, workload_runs
from dpdktune.campaign.runner import batch_provenance, run_with_retry
from dpdktune.metrics.parquet import rows_to_table, write_table
from dpdktune.metrics.provenance import backend_metadata
from dpdktune.metrics.schema import EXPERIMENT_SCHEMA
from dpdktune.sections import section

log = logging.getLogger("dpdktune.validation")


def rerun_specs(points: pd.DataFrame, config: dict[str, Any]) -> list:
    """The campaign's own RunSpecs (same run ids and seeds) for each listed point."""
    wanted = {
        (w, int(r), int(t), int(c), int(b), int(k))
        for w, r, t, c, b, k in zip(
            points.workload, points.rx_desc, points.tx_desc, points.cores, points.burst, points.trial
        )
    }
    hardware = load_campaign_hardware(config)
    specs = []
    for workload in campaign_workloads(config):
        for spec in workload_runs(config, workload, hardware):
            k = spec.knobs
            if (workload.name, k.rx_desc, k.tx_desc, k.cores, k.burst, spec.trial) in wanted:
                specs.append(spec)
    return specs


def rerun(points: pd.DataFrame, config: dict[str, Any], out: str | Path) -> int:
    """Run each point again (with the campaign's retry policy); write the records. Returns the ok count."""
    specs = rerun_specs(points, config)
    cid = campaign_id(config)
    rows = []
    backend = make_backend(config)
    try:
        for spec in specs:
            record, _ = run_with_retry(backend, spec, section(config, "retry"))
            record["campaign_id"] = cid
            rows.append(record)
            log.info("%s: %s", spec.run_id, record["status"] if record["status"] == "ok" else record["failure_reason"])
        metadata = backend_metadata(backend)
    finally:
        backend.close()
    table = rows_to_table(rows, EXPERIMENT_SCHEMA)
    table = table.replace_schema_metadata(metadata)
    write_table(table, out, EXPERIMENT_SCHEMA, batch_provenance(config, table))
    ok = sum(r["status"] == "ok" for r in rows)
    log.info("re-ran %d of %d listed points: %d ok", len(specs), len(points), ok)
    return ok
