"""Rule preflight: check the testbeds before any run starts (dpdktune.preflight)."""
import sys

from dpdktune.atomic import write_json
from dpdktune.logs import rule_logging
from dpdktune.preflight import format_checks, preflight, problems, report

with rule_logging(snakemake.log[0]) as log:
    checks = preflight(snakemake.config)
    log.info("pre-flight checks:\n%s", format_checks(checks))
    bad = problems(checks)
    for check in bad:
        log.error("pre-flight: %s", check.line())
    if not bad:
        write_json(report(checks, snakemake.config["backend"]), snakemake.output.report)
if bad:
    sys.exit(f"pre-flight found {len(bad)} problem(s); nothing was run (see above)")
