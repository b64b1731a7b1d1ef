"""Log setup for rule scripts: everything to the rule's log file, progress lines to stderr too."""

from __future__ import annotations

import contextlib
import logging
import sys
import traceback
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def rule_logging(log_file: str | Path) -> Iterator[logging.Logger]:
    """Route `dpdktune.*` logging to `log_file` and stderr; record a crash's traceback in the log."""
    Path(log_file).parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger("dpdktune")
    root.setLevel(logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers = [logging.FileHandler(log_file), logging.StreamHandler(sys.stderr)]
    for handler in handlers:
        handler.setFormatter(fmt)
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
