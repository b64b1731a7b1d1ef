"""Rule check_failures: exit non-zero, with one line, when too many runs failed (campaign.merge)."""

import json
import sys

from dpdktune.atomic import write_json
from dpdktune.campaign.merge import failure_verdict
from dpdktune.logs import rule_logging

with rule_logging(snakemake.log[0]) as log, open(snakemake.input.manifest) as fh:
    summary = json.load(fh)
    verdict = failure_verdict(summary, snakemake.params.max_failed_share)
    if verdict is None:
        write_json(
            {
                "failed_runs": summary["failed_runs"],
                "recorded_runs": summary["recorded_runs"],
                "max_failed_share": snakemake.params.max_failed_share,
            },
            snakemake.output.verdict,
        )
    else:
        log.error("%s", verdict)  # one line, to the log and to stderr
if verdict is not None:
    sys.exit(1)  # outside rule_logging, which would add a traceback
