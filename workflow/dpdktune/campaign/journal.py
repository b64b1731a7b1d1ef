"""The per-batch run journal: one JSON line per finished run, so a killed batch resumes.

Durability (fsync policy): each line is written and flushed to the OS as soon as its run ends,
so it survives a `kill -9` of the writer. The file is fsynced at most every `FSYNC_EVERY_S`
seconds while a batch runs and when the batch closes, so a power loss or kernel crash loses at
most the runs of the last few seconds; it may also leave a torn last line, or zero-filled
blocks (runs of NUL bytes) where the filesystem had allocated space but not yet written it.

Damage is never fatal. A torn last line (killed mid-write) is cut; a complete line that is not
a valid entry (garbled bytes, NULs) is skipped with a warning naming the file and the line.
Either way the run it held counts as not recorded, so the batch runs exactly those runs again
and keeps every good line.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger("dpdktune.campaign")

#: Longest a finished run stays in the page cache only (power loss) before an fsync.
FSYNC_EVERY_S = 5.0


class Journal:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.entries: dict[str, dict[str, Any]] = {}
        #: 1-based numbers of complete lines that were damaged and skipped
        self.damaged_lines: list[int] = []
        self._file = open(self.path, "a", encoding="utf-8")
        try:  # two writers would each run the missing runs: refuse the second
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            raise RuntimeError(f"{self.path}: another process is running this batch") from None
        for _, entry in _entries(self.path, self.damaged_lines):
            self.entries[entry["record"]["run_id"]] = entry
        self._repair_tail()
        self._synced_at = time.monotonic()

    def _repair_tail(self) -> None:
        """Cut a torn last line so the next append starts on a fresh line."""
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            log.info("%s: cut a torn last line (%d bytes); its run is redone", self.path, len(data) - keep)
            with open(self.path, "r+b") as fh:
                fh.truncate(keep)

    def __contains__(self, run_id: str) -> bool:
        return run_id in self.entries

    def append(self, record: dict[str, Any], timeseries: dict[str, list[float]]) -> None:
        entry = {"record": record, "timeseries": timeseries}
        self._file.write(json.dumps(entry, separators=(",", ":"), allow_nan=True) + "\n")
        self._file.flush()
        if time.monotonic() - self._synced_at >= FSYNC_EVERY_S:
            os.fsync(self._file.fileno())
            self._synced_at = time.monotonic()
        self.entries[record["run_id"]] = entry

    def close(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _parse(raw: bytes) -> dict[str, Any]:
    """One journal line as an entry; ValueError when it is not a complete, valid one."""
    entry = json.loads(raw.decode("utf-8"))  # JSONDecodeError and UnicodeDecodeError are ValueErrors
    record = entry.get("record") if isinstance(entry, dict) else None
    if not isinstance(record, dict) or not isinstance(record.get("run_id"), str):
        raise ValueError("no record with a run_id")
    if not isinstance(entry.get("timeseries"), dict):
        raise ValueError("no timeseries mapping")
    return entry


def _entries(path: Path, damaged: list[int] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, entry) for each good complete line; damaged lines are logged, noted in
    `damaged` and skipped; a last line without its newline (torn write) is left out."""
    if not path.exists():
        return
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            if not raw.endswith(b"\n"):
                return  # torn write: the run did not finish being recorded
            try:
                yield number, _parse(raw)
            except ValueError as exc:
                reason = "NUL bytes" if raw.strip(b"\0\n") == b"" else str(exc).splitlines()[0][:120]
                log.warning(
                    "%s line %d: damaged journal entry (%s); skipped, its run will be redone", path, number, reason
                )
                if damaged is not None:
                    damaged.append(number)


def read_journal(path: str | Path) -> list[dict[str, Any]]:
    """All good complete entries of a journal file (for status and archives), without opening it
    for append; damaged lines are skipped with a warning that names the file and line."""
    return [entry for _, entry in _entries(Path(path))]
