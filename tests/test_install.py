"""A non-editable install runs a campaign from a project of its own, as a user would set it up.

`pip install .` into a fresh venv, `dpdktune init` a separate directory, define a workload there,
and run the real `snakemake --cores 1 characterize` in it: the dataset holds that workload, and
nothing came from this checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from test_traces import write_trace

REPO = Path(__file__).resolve().parents[1]
_NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "results",
    ".snakemake",
    "build",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    "d3rlpy_logs",
    ".dpdk",
    ".rlsite",
    ".whl",
    "bench_bundle",
)


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.mark.slow
def test_a_wheel_install_runs_a_campaign_from_its_own_project(tmp_path):
    from importlib.metadata import PackageNotFoundError, version

    try:
        have = tuple(int(x) for x in version("setuptools").split(".")[:2])
    except PackageNotFoundError:
        have = (0, 0)
    assert have >= (70, 1), "the wheel build needs setuptools>=70.1 in this environment: pip install -e '.[test]'"
    # a copy of the source, so the build leaves nothing in the checkout
    source = tmp_path / "src"
    shutil.copytree(REPO, source, ignore=_NOT_SOURCE, symlinks=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # the dependencies (torch, snakemake, ...) come from the test's environment, after the venv's own
    (site / "_dpdktune_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '')}"
    # `pip install .` in two steps: the wheel is built by this environment's setuptools (a fresh
    # venv's bundled one may be too old to build wheels), then installed into the fresh venv
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        tmp_path,
        env,
        600,
    )
    (wheel,) = (tmp_path / "dist").glob("dpdktune-*.whl")
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], tmp_path, env, 600)
    shutil.rmtree(source)  # the install must stand on its own

    project = tmp_path / "myproject"
    _run([str(venv / "bin" / "dpdktune"), "init", str(project)], tmp_path, env, 120)
    installed = _run([str(python), "-c", "import dpdktune; print(dpdktune.__file__)"], project, env, 60).stdout
    assert installed.strip().startswith(str(site)), installed
    assert (project / "Snakefile").is_file() and (project / "csrc" / "fastpath_runtime.c").is_file()

    # the project's own config and workloads: one defined in the config, one in a workloads_file,
    # one measured on a pcap trace (a path relative to the project)
    (project / "traces").mkdir()
    times = write_trace(project / "traces" / "t.pcap", "onoff")
    (project / "my_workloads.yaml").write_text(
        yaml.safe_dump(
            {"workloads": {"filed": {"sizes": [256], "offered_mpps": 3.0, "arrival": {"process": "cbr"}, "flows": 16}}}
        )
    )
    (project / "my.yaml").write_text(
        yaml.safe_dump(
            {
                "workload_defs": {
                    "mine": {
                        "description": "my own",
                        "sizes": [64, 1500],
                        "size_weights": [3, 1],
                        "offered_mpps": 5.0,
                        "arrival": {"process": "poisson"},
                        "flows": 100,
                        "zipf_s": 0.5,
                        "app_cycles": 300,
                    },
                    "fromtrace": {"pcap": "traces/t.pcap", "app_cycles": 50},
                },
                "workloads_file": "my_workloads.yaml",
                "workloads": ["mine", "filed", "fromtrace"],
                "grid": {"rx_desc": [256, 1024], "tx_desc": [512], "cores": [1, 2], "burst": [32]},
                "trials": 1,
                "sim": {"window_ms": 10.0},
            }
        )
    )
    _run([str(python), "-m", "snakemake", "--cores", "1", "characterize", "--configfile", "my.yaml"], project, env, 600)

    table = pq.read_table(project / "results" / "characterize" / "dataset.parquet").to_pandas()
    assert sorted(table.workload.unique()) == ["filed", "fromtrace", "mine"]
    assert len(table) == 3 * 2 * 2
    mine = table[table.workload == "mine"]
    assert (mine.offered_mpps > 4.0).all() and (mine.offered_mpps < 6.0).all()
    # the trace's recorded mean rate, as the simulator offered it (on/off over 12 periods)
    trace_mpps = (len(times) - 1) / (times[-1] - times[0]) / 1e6
    offered = table[table.workload == "fromtrace"].offered_mpps
    assert offered.mean() == pytest.approx(trace_mpps, rel=0.2)
