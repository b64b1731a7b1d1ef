"""Rule rerun_failed: run the failed and missing points again (dpdktune.validation.rerun)."""

import pandas as pd
from dpdktune.logs import rule_logging
from dpdktune.validation.rerun import rerun

with rule_logging(snakemake.log[0]):
    rerun(pd.read_parquet(snakemake.input.rerun), snakemake.config, snakemake.output.records)
