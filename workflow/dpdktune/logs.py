"""Log setup for rule scripts: everything to the rule's log file, progress lines to stderr too.

Also the noise of third-party libraries: gym's "unmaintained" banner (d3rlpy imports the old
gym for type names only; dpdktune uses gymnasium) and structlog's colour codes (d3rlpy turns
them on even when the output goes to a file).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

#: ANSI escape sequences (colours, cursor moves), e.g. from a library's console renderer
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class PlainFormatter(logging.Formatter):
    """A formatter for files: the same text with any ANSI escape sequence removed."""

    def format(self, record: logging.LogRecord) -> str:
        return ANSI.sub("", super().format(record))


@contextlib.contextmanager
def rule_logging(log_file: str | Path) -> Iterator[logging.Logger]:
    """Route `dpdktune.*` logging to `log_file` and stderr; record a crash's traceback in the log."""
    Path(log_file).parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger("dpdktune")
    root.setLevel(logging.INFO)
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    to_file = logging.FileHandler(log_file)
    to_file.setFormatter(PlainFormatter(fmt))
    to_stderr = logging.StreamHandler(sys.stderr)
    to_stderr.setFormatter(logging.Formatter(fmt))
    handlers = [to_file, to_stderr]
    for handler in handlers:
        root.addHandler(handler)
    try:
        yield root
    except BaseException:
        root.error("failed:\n%s", traceback.format_exc())
        raise
    finally:
        for handler in handlers:
            root.removeHandler(handler)
            handler.close()


def silence_gym_notice() -> None:
    """Drop the banner `import gym` prints to stderr (once per process: 6 times in a pipeline).

    gym prints whatever `gym_notices.notices` holds for its version; emptying that table before
    gym is imported removes only this banner. Call it before d3rlpy is first imported."""
    try:
        from gym_notices import notices
    except ImportError:
        return
    notices.notices.clear()


def colour_only_on_terminals() -> None:
    """Make structlog's console renderer colour only a terminal (and never under NO_COLOR).

    d3rlpy configures structlog with colours on at import, so call this after importing it."""
    import structlog

    colours = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    processors = [
        structlog.dev.ConsoleRenderer(colors=colours) if isinstance(p, structlog.dev.ConsoleRenderer) else p
        for p in structlog.get_config()["processors"]
    ]
    structlog.configure(processors=processors)
