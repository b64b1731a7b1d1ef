"""Distillation settings: the config's `distill:` section (dpdktune/sections.py holds every section)."""

from __future__ import annotations

from dpdktune.sections import METHODS, DistillSettings

__all__ = ["METHODS", "DistillSettings"]
