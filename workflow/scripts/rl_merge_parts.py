"""Rule train_rl: one algorithm's evaluation, joined from its train_rl_part jobs in training order."""

import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd
from dpdktune.atomic import write_json
from dpdktune.logs import rule_logging
from dpdktune.metrics.parquet import read_provenance, write_frame
from dpdktune.rl import experiment

with rule_logging(snakemake.log[0]) as log:
    inp, out = snakemake.input, snakemake.output
    prov = read_provenance(inp.scores[0])
    parts = [
        (pd.read_parquet(s), pd.read_parquet(c), json.loads(Path(t).read_text()))
        for s, c, t in zip(inp.scores, inp.curves, inp.timing)
    ]
    scores, curves, timing = experiment.merge_parts(parts)
    target = Path(out.models)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    for directory in inp.models:  # the model files of each part, renamed into place together
        for path in Path(directory).iterdir():
            shutil.copy2(path, staging / path.name)
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    write_frame(scores, out.scores, prov)
    write_frame(curves, out.curves, prov)
    write_json(timing, out.timing)
    log.info("%s: %d trainings from %d parts", snakemake.wildcards.algorithm, len(timing["splits"]), len(parts))
