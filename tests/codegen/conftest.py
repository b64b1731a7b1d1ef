"""Fixtures for codegen tests: the depth-10 tree (tests/conftest.py) compiled to fastpath.so."""

from __future__ import annotations

import pytest
from dpdktune.codegen import build

from .codegen_helpers import FastPath


@pytest.fixture(scope="session")
def built10(depth10, tmp_path_factory):
    _, table = depth10
    out = tmp_path_factory.mktemp("fastpath10")
    files = build.build_fastpath(table, out, out / "fastpath.so", walk="table")
    return files, FastPath(files["library"])
