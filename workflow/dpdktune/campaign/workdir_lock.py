"""One Snakemake run at a time in a working directory.

Two runs in one directory would each schedule the same batches; the loser's batch fails on the
journal lock and Snakemake then deletes that job's outputs, which are the winner's files. So the
run that starts jobs first holds an exclusive lock on `.snakemake/dpdktune-run.lock` for its whole
life, and any other run stops before its first job, with one line and without touching a file.

Snakemake's own directory lock is off in profiles/default because it outlives a `kill -9` and
would block the rerun that resumes the sweep. This lock is a `flock(2)`: the kernel drops it when
the holding process dies, however it dies, so a killed sweep resumes by just running it again.
Only the main Snakemake process takes it (the `onstart` hook runs there and not in dry runs), so
dry runs, `dpdktune status` and cluster jobs (SLURM runs each job as its own Snakemake process on
a compute node) are unaffected.
"""

from __future__ import annotations

import fcntl
import os
import socket
import sys
import time
from pathlib import Path
from typing import IO

LOCK_PATH = Path(".snakemake") / "dpdktune-run.lock"

_held: IO[str] | None = None  # kept open for the life of the process: closing it would unlock


class WorkdirBusy(RuntimeError):
    pass


def acquire(path: str | Path = LOCK_PATH) -> IO[str]:
    """The lock, held until the returned file is closed or this process ends; WorkdirBusy if
    another process holds it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+", encoding="utf-8")  # no truncation: the holder's note stays readable
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "unknown process"
        fh.close()
        where = path.resolve().parent.parent
        raise WorkdirBusy(
            f"another snakemake run ({holder}) is active in {where}; this run stopped "
            "before touching anything: wait for it (dpdktune status) or stop it"
        ) from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"pid {os.getpid()} on {socket.gethostname()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
    fh.flush()
    return fh


def hold_for_this_run(path: str | Path = LOCK_PATH) -> None:
    """The `onstart` hook: take the lock, or print one line and exit non-zero."""
    global _held
    try:
        _held = acquire(path)
    except WorkdirBusy as exc:
        print(f"dpdktune: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)
