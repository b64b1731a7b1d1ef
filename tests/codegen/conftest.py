"""Fixtures for codegen tests: a synthetic data set, a depth-10 tree and its compiled library."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from .codegen_helpers import FastPath, make_table

from dpdktune.codegen import build, synthetic

# This file takes the module name `conftest` from tests/conftest.py (pytest imports both under
# that name), so re-export the root helpers for `from conftest import require_program`.
_spec = importlib.util.spec_from_file_location("dpdktune_root_conftest", Path(__file__).parents[1] / "conftest.py")
_root = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_root)
IN_CI, require_program = _root.IN_CI, _root.require_program


@pytest.fixture(scope="session")
def data():
    return synthetic.dataset(4000, seed=1)


@pytest.fixture(scope="session")
def depth10(data):
    X, y = data
    return make_table(X, y, 10)


@pytest.fixture(scope="session")
def built10(depth10, tmp_path_factory):
    _, table = depth10
    out = tmp_path_factory.mktemp("fastpath10")
    files = build.build_fastpath(table, out, out / "fastpath.so", walk="table")
    return files, FastPath(files["library"])
