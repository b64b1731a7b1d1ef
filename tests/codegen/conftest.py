"""Fixtures for codegen tests: a synthetic data set, a depth-10 tree and its compiled library."""

from __future__ import annotations

import pytest

from dpdktune.codegen import build, synthetic

from .codegen_helpers import FastPath, make_table


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
