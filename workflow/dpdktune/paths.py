"""Where the pipeline's files come from: the project in the working directory, else the packaged copy.

Snakemake runs every rule in its working directory, so a project there (config/, csrc/, ...)
is what the pipeline must read, whatever checkout or wheel the package was imported from.
The packaged copy is the fallback for commands run outside a project (`dpdktune sim`): a built
wheel carries it as dpdktune/_project (setup.py copies it in); a source checkout is its own.
"""

from __future__ import annotations

from pathlib import Path

#: the project files a built wheel carries (absent in a source checkout)
PACKAGED = Path(__file__).resolve().with_name("_project")
#: the source checkout this module sits in (workflow/dpdktune/paths.py -> repository root)
CHECKOUT = Path(__file__).resolve().parents[2]


def default_root() -> Path:
    """The packaged project: the wheel's copy, or the source checkout."""
    return PACKAGED if PACKAGED.is_dir() else CHECKOUT


def project_file(rel: str | Path) -> Path:
    """`rel` in the working directory when it exists there, else in the packaged project."""
    rel = Path(rel)
    if rel.is_absolute():
        return rel
    here = Path.cwd() / rel
    return here if here.exists() else default_root() / rel


def project_files(rel_dir: str | Path, pattern: str) -> dict[str, Path]:
    """Files matching `pattern` in `rel_dir`, by name: the working directory's shadow the packaged."""
    found = {p.name: p for p in sorted((default_root() / rel_dir).glob(pattern))}
    found.update({p.name: p for p in sorted((Path.cwd() / rel_dir).glob(pattern))})
    return found


#: the files of a project, as globs from its root: what a wheel carries and `dpdktune init` copies
PROJECT_GLOBS = (
    "Snakefile",
    "rules/*.smk",
    "workflow/scripts/*.py",
    "config/*.yaml",
    "config/hardware/*.yaml",
    "csrc/*.c",
    "csrc/*.h",
    "csrc/templates/*.j2",
    "csrc/*/*.c",
    "csrc/*/*.h",
    "csrc/*/*.sh",
    "csrc/*/Makefile",
    "envs/*.yaml",
    "profiles/*/*.yaml",
    "report/*.rst",
)


def project_paths(root: Path) -> list[Path]:
    """The project files under `root`, relative to it."""
    return sorted({p.relative_to(root) for pattern in PROJECT_GLOBS for p in root.glob(pattern) if p.is_file()})
