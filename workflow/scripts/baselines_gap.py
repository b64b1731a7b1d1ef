"""Rule analyze_gap: comparison, significance, failure modes and the go/no-go decision."""

import json
from pathlib import Path

import pandas as pd
from dpdktune.baselines.run import run_gap
from dpdktune.logs import rule_logging
from dpdktune.metrics.parquet import read_provenance

with rule_logging(snakemake.log[0]):
    passed = json.loads(Path(snakemake.input.validation).read_text())["passed"]
    run_gap(
        pd.read_parquet(snakemake.input.scores),
        pd.read_parquet(snakemake.input.fingerprints),
        snakemake.config,
        passed,
        dict(snakemake.output.items()),
        read_provenance(snakemake.input.scores),
    )
