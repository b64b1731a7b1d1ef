"""The reader-thread output buffer the testpmd driver waits on."""

from __future__ import annotations

import threading
import time

import pytest
from dpdktune.backends.measure import OutputBuffer


def test_wait_for_sees_text_appended_by_another_thread():
    buf = OutputBuffer()
    threading.Timer(0.1, lambda: buf.append("EAL: up\ntestpmd> ")).start()
    end = buf.wait_for("testpmd> ", 0, time.monotonic() + 5)
    assert buf.text[:end].endswith("testpmd> ")


def test_wait_for_times_out_and_reports_eof():
    buf = OutputBuffer()
    with pytest.raises(TimeoutError):
        buf.wait_for("x", 0, time.monotonic() + 0.1)
    buf.append("abc")
    buf.close()
    with pytest.raises(EOFError):
        buf.wait_for("x", 0, time.monotonic() + 5)
    assert buf.wait_for("b", 0, time.monotonic() + 1) == 2


def test_tail_keeps_the_last_lines():
    buf = OutputBuffer()
    buf.append("".join(f"line {i}\n" for i in range(100)))
    assert buf.tail(3).splitlines() == ["line 97", "line 98", "line 99"]
