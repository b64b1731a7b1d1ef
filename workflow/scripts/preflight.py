"""Rule preflight: check the testbeds before any run starts (dpdktune.preflight)."""

import sys

from dpdktune.atomic import write_json
from dpdktune.logs import rule_logging
from dpdktune.preflight import format_checks, preflight, problems, report

with rule_logging(snakemake.log[0]) as log:
    checks = preflight(snakemake.config)
    bad = problems(checks)
    if len(bad) < len(checks):
        log.info("pre-flight checks:\n%s", format_checks([c for c in checks if c not in bad]))
    for check in bad:  # one line per problem
        log.error("pre-flight: %s", check.line())
    if not bad:
        write_json(report(checks, snakemake.config["backend"]), snakemake.output.report)
if bad:
    sys.exit(f"pre-flight found {len(bad)} problem(s); no run was started")
