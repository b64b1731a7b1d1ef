"""Build hook: a wheel carries the project files (Snakefile, rules, config, csrc, ...) as dpdktune/_project,
so that `dpdktune init` and commands run outside a project find them in a non-editable install.
The list of files has one home, dpdktune/paths.py; it is loaded here by path (no import of the package)."""

import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def _paths_module():
    spec = importlib.util.spec_from_file_location("_dpdktune_paths", ROOT / "workflow" / "dpdktune" / "paths.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildWithProject(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "dpdktune" / "_project"
        for rel in _paths_module().project_paths(ROOT):
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, target / rel)


setup(cmdclass={"build_py": BuildWithProject})
