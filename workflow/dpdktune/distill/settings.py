"""Distillation settings: a frozen dataclass from the config's `distill:` section."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

METHODS = ("bc", "viper", "extract", "value", "recorded")


@dataclass(frozen=True)
class DistillSettings:
    depths: tuple[int, ...] = (5, 10, 15, 20)
    min_samples_leaf: tuple[int, ...] = (1, 5, 20)
    top_k_features: tuple[int, ...] = (4, 8, 0)   # 0 = all features
    methods: tuple[str, ...] = METHODS
    teacher: str = "cql"                           # auto = the Q-learner with the best LWO test score
    #: the deployed tree's setting {method, depth, min_samples_leaf, top_k}, or "auto" (the sweep's best)
    deploy: Any = "auto"
    confidence_threshold: float = 0.0              # 0: every leaf keeps its action (no relabelling)
    leaf_margin: float = 0.5                       # novelty margin when no trial is held out to calibrate it
    max_false_fallback: float = 0.05               # novelty gate: at most this share of held-out states fall back
    deploy_max_depth: int = 10                     # the deployed tree is the best setting this deep or less
    bc_episodes: int = 10
    viper_iterations: int = 3
    viper_episodes: int = 2
    extract_synthetic: int = 5000
    seed: int = 0

    def __post_init__(self):
        bad = [m for m in self.methods if m not in METHODS]
        if bad or not self.methods:
            raise ValueError(f"distill.methods: unknown {bad}; expected a non-empty subset of {METHODS}")
        if any(d < 1 for d in self.depths) or not self.depths:
            raise ValueError(f"distill.depths: {list(self.depths)} must be non-empty and >= 1")
        if any(m < 1 for m in self.min_samples_leaf) or not self.min_samples_leaf:
            raise ValueError(f"distill.min_samples_leaf: {list(self.min_samples_leaf)} must be non-empty and >= 1")
        if any(k < 0 for k in self.top_k_features) or not self.top_k_features:
            raise ValueError(f"distill.top_k_features: {list(self.top_k_features)} must be non-empty and >= 0")
        if self.leaf_margin < 0:
            raise ValueError(f"distill.leaf_margin: {self.leaf_margin} must be >= 0")
        if not 0.0 <= self.max_false_fallback <= 1.0:
            raise ValueError(f"distill.max_false_fallback: {self.max_false_fallback} must lie in [0, 1]")
        if not 0.0 <= self.confidence_threshold <= 1.0:
            raise ValueError(f"distill.confidence_threshold: {self.confidence_threshold} must lie in [0, 1]")
        if self.teacher not in ("auto", "cql", "bcq", "dqn", "double_dqn", "ppo"):
            raise ValueError(f"distill.teacher: {self.teacher!r}; expected auto or an rl algorithm")
        if self.deploy != "auto":
            d = self.deploy
            if not isinstance(d, dict) or set(d) != {"method", "depth", "min_samples_leaf", "top_k"}:
                raise ValueError(f"distill.deploy: {d!r}; expected auto or {{method, depth, min_samples_leaf, top_k}}")
            if d["method"] not in METHODS or d["depth"] < 1 or d["min_samples_leaf"] < 1 or d["top_k"] < 0:
                raise ValueError(f"distill.deploy: {d!r}; method in {METHODS}, depth and min_samples_leaf >= 1, "
                                 f"top_k >= 0")
        for key in ("bc_episodes", "viper_iterations", "viper_episodes", "deploy_max_depth"):
            if getattr(self, key) < 1:
                raise ValueError(f"distill.{key}: {getattr(self, key)} must be >= 1")

    @classmethod
    def from_config(cls, distill: dict[str, Any]) -> "DistillSettings":
        names = {f.name for f in fields(cls)}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in distill.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
