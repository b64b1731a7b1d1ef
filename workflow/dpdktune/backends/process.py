"""A local child process whose output a thread reads as it comes, killed with its parent."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import threading

from dpdktune.backends import measure

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Runs in the child between fork and exec: SIGKILL it when the parent dies."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class LocalProcess:
    """A child in its own process group whose merged stdout/stderr a thread reads as it comes."""

    def __init__(self, argv: list[str]):
        self.output = measure.OutputBuffer()
        self._popen = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        self.pid = self._popen.pid
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        fd = self._popen.stdout.fileno()
        while chunk := os.read(fd, 65536):
            self.output.append(chunk.decode(errors="replace"))
        self.output.close()

    def write(self, text: str) -> None:
        self._popen.stdin.write(text.encode())
        self._popen.stdin.flush()

    def returncode(self) -> int | None:
        return self._popen.poll()

    def kill(self) -> None:
        """SIGKILL the whole process group, reap it, and close the pipes."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self._popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._reader.join(timeout=2)
        for pipe in (self._popen.stdin, self._popen.stdout):
            try:
                pipe.close()
            except OSError:
                pass
