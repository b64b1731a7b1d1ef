"""The per-batch run journal: one JSON line per finished run, so a killed batch resumes.

Each line is flushed as soon as its run ends; the OS keeps flushed lines through a
`kill -9` of the writer. A torn last line (killed mid-write) is ignored on load and its
run repeated, since it never finished being recorded.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any, Iterator


class Journal:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.entries: dict[str, dict[str, Any]] = {}
        self._file = open(self.path, "a", encoding="utf-8")
        try:  # two writers would each run the missing runs: refuse the second
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            raise RuntimeError(f"{self.path}: another process is running this batch") from None
        for entry in self._read():
            self.entries[entry["record"]["run_id"]] = entry
        self._repair_tail()

    def _read(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                if not line.endswith("\n"):
                    return  # torn write: the run did not finish being recorded
                yield json.loads(line)

    def _repair_tail(self) -> None:
        """Cut a torn last line so the next append starts on a fresh line."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            with open(self.path, "r+b") as fh:
                fh.truncate(keep)

    def __contains__(self, run_id: str) -> bool:
        return run_id in self.entries

    def append(self, record: dict[str, Any], timeseries: dict[str, list[float]]) -> None:
        entry = {"record": record, "timeseries": timeseries}
        self._file.write(json.dumps(entry, separators=(",", ":"), allow_nan=True) + "\n")
        self._file.flush()
        self.entries[record["run_id"]] = entry

    def close(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_journal(path: str | Path) -> list[dict[str, Any]]:
    """All complete entries of a journal file (for status and archives), without opening it for append."""
    path = Path(path)
    if not path.exists():
        return []
    entries = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.endswith("\n"):
                entries.append(json.loads(line))
    return entries
