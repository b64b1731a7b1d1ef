"""One frozen, typed dataclass per config section, built from the validated config.

config/config.yaml is the user-facing file of defaults; each field's default here equals its value
there (tests/test_config_sections.py holds them equal), so a partial config built in code (a test, a
notebook) behaves as the merged one would. config/schema.yaml checks types and ranges; these classes
check nothing beyond unknown keys. A field whose default is None has no value in config.yaml: its
docstring says what None means.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

#: Every RL algorithm; the schema's rl.algorithms and distill.teacher enums, the Snakefile's wildcard
#: and rl/algos.py are checked against (or built from) this list.
ALGORITHMS = ("cql", "bcq", "dqn", "double_dqn", "ppo")
OFFLINE = ("cql", "bcq")
ONLINE = ("dqn", "double_dqn")
Q_ALGORITHMS = OFFLINE + ONLINE
#: Distillation methods (schema: distill.methods, distill.deploy.method).
METHODS = ("bc", "viper", "extract", "value", "recorded")


def _frozen(value: Any) -> Any:
    """YAML lists as tuples, so a settings object is immutable all the way down."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    if isinstance(value, dict):
        return {k: _thaw(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Section:
    """Base of the section classes: `name` is the config key (dotted for a nested section)."""

    name: ClassVar[str] = ""
    #: fields that are nested sections, field name -> class
    nested: ClassVar[dict[str, type]] = {}

    @classmethod
    def from_config(cls, raw: Mapping[str, Any] | None, key: str | None = None) -> Section:
        """The section from its mapping (config[name]); a missing key takes its default. `key`
        names the section in errors where the class serves another one too (ssh.run)."""
        from dpdktune.config import ConfigError

        raw = dict(raw or {})
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ConfigError(f"{key or cls.name}.{unknown[0]}: unknown key; known: {sorted(known)}")
        kwargs = {}
        for field_name, value in raw.items():
            if field_name in cls.nested:
                value = cls.nested[field_name].from_config(value)
            elif known[field_name].type == "float" and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)  # `window_ms: 10` means 10.0, as the schema's `number` allows
            kwargs[field_name] = _frozen(value)
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (tuples as lists), to serialise beside an artifact."""
        return _thaw(asdict(self))


# ------------------------------------------------------------------ characterize


@dataclass(frozen=True)
class RetrySettings(Section):
    name: ClassVar[str] = "retry"
    attempts: int = 3
    backoff_s: float = 0.0
    backoff_factor: float = 2.0


@dataclass(frozen=True)
class OutputSettings(Section):
    name: ClassVar[str] = "output"
    csv: bool = False
    partitioned: bool = False


@dataclass(frozen=True)
class SloSettings(Section):
    name: ClassVar[str] = "slo"
    loss: float = 0.001
    p99_us: float = 100.0
    loss_tolerance: float = 0.01
    p99_tolerance: float = 0.1


@dataclass(frozen=True)
class SimSettings(Section):
    name: ClassVar[str] = "sim"
    noise_cv: float = 0.02
    failure_prob: float = 0.0
    window_ms: float = 10.0
    sample_interval_ms: float = 0.5


@dataclass(frozen=True)
class SshRunSettings(Section):
    """`ssh.run`: a key left None takes the `local:` section's value (backends/testpmd.py)."""

    name: ClassVar[str] = "ssh.run"
    warmup_s: float = 1.0
    measure_s: float = 2.0
    deadline_s: float = 120.0
    sample_interval_s: float | None = None
    mbufs: int | None = None
    mbuf_cache: int | None = None
    forward_mode: str | None = None
    packets_per_pcap: int | None = None
    perf: str | None = None

    def given(self) -> dict[str, Any]:
        """The keys that override the `local:` defaults."""
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class SshSettings(Section):
    """`ssh`: each testbed is a mapping that backends/ssh.py parses and checks (parse_testbed)."""

    name: ClassVar[str] = "ssh"
    nested: ClassVar[dict[str, type]] = {"run": SshRunSettings}
    testbeds: tuple[dict[str, Any], ...] = ()
    run: SshRunSettings = field(default_factory=SshRunSettings)


@dataclass(frozen=True)
class ValidateSettings(Section):
    name: ClassVar[str] = "validate"
    fail_on_error: bool = False
    cv_threshold: float = 0.10
    outlier_z: float = 3.5


# ------------------------------------------------------------------ analysis and baselines


@dataclass(frozen=True)
class AnalysisSettings(Section):
    name: ClassVar[str] = "analysis"
    high_sensitivity: float = 2.0
    low_sensitivity: float = 1.3
    top_k: int = 3
    clusters: int = 3
    sweet_spot_margin: float = 0.05
    cliff_drop: float = 0.3
    min_effect: float = 0.1
    pattern_split: float = 0.3333


@dataclass(frozen=True)
class BaselinesSettings(Section):
    name: ClassVar[str] = "baselines"
    split_repeats: int = 10
    test_fraction: float = 0.3
    lookup_entries: int = 16
    lookup_key_features: int = 4
    max_rules: int = 4
    rule_features: int = 5
    ridge_alpha: float = 1.0
    tree_depth: int = 5
    bootstrap: int = 2000
    fail_gap: float = 0.10


@dataclass(frozen=True)
class NdrSettings(Section):
    name: ClassVar[str] = "ndr"
    enabled: bool = True
    pdr_loss: float = 0.005
    precision: float = 0.01


@dataclass(frozen=True)
class DecisionSettings(Section):
    name: ClassVar[str] = "decision"
    go: float = 0.25
    maybe: float = 0.15
    objectives: tuple[str, ...] = (
        "cores_at_slo",
        "slo_goodput_per_core",
        "throughput_mpps",
        "zero_loss_mpps",
        "p99_slo_mpps",
    )


# ------------------------------------------------------------------ Phase 2 and 3


@dataclass(frozen=True)
class RLSettings(Section):
    name: ClassVar[str] = "rl"
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    seed: int = 0
    algorithms: tuple[str, ...] = ("cql", "bcq", "double_dqn", "ppo")
    offline_steps: int = 1000  # gradient steps (CQL, BCQ)
    online_steps: int = 2000  # environment steps (DQN, PPO)
    eval_every: int = 500  # steps between learning-curve points
    eval_decisions: int = 5  # closed-loop decisions per evaluation episode
    split_repeats: int = 10  # the first N of the baselines' leave-workload-out splits
    seeds: int = 3  # training seeds per split (the evaluation's spread)
    dataset_episodes: int = 60
    behaviour_epsilon: float = 0.3
    online_env: str = "sim"  # sim | replay: what DQN and PPO interact with
    batch_size: int = 64
    hidden: tuple[int, ...] = (64, 64)
    learning_rate: float = 3e-4
    gamma: float = 0.9
    cql_alpha: float = 1.0  # CQL's conservative weight (d3rlpy's default)
    threads: int = 1
    episode_steps: int = 200
    workload_change_every: int = 50
    restart_cost_s: float = 0.5
    decision_interval_s: float = 5.0

    #: the environment's keys (rl/env.py EnvSettings), which models' metadata records under `env`
    ENV_KEYS: ClassVar[tuple[str, ...]] = (
        "episode_steps",
        "workload_change_every",
        "restart_cost_s",
        "decision_interval_s",
    )

    def to_dict(self) -> dict[str, Any]:
        """The learner's keys; the environment's are serialised beside them, under `env`."""
        return {k: v for k, v in super().to_dict().items() if k not in self.ENV_KEYS}


@dataclass(frozen=True)
class DistillSettings(Section):
    name: ClassVar[str] = "distill"
    depths: tuple[int, ...] = (5, 10, 15, 20)
    min_samples_leaf: tuple[int, ...] = (1, 5, 20)
    top_k_features: tuple[int, ...] = (4, 8, 0)  # 0 = all features
    confidence_threshold: float = 0.0  # 0: every leaf keeps its action (no relabelling)
    leaf_margin: float = 0.5  # novelty margin when no trial is held out to calibrate it
    max_false_fallback: float = 0.05  # novelty gate: at most this share of held-out states fall back
    novelty_held_out: str = "workloads"  # the gate's held-out states: whole training workloads, or trials
    methods: tuple[str, ...] = ("bc", "viper", "extract")
    teacher: str = "cql"  # auto = the Q-learner with the best LWO test score
    #: the deployed tree's setting {method, depth, min_samples_leaf, top_k}, or "auto" (the sweep's best)
    deploy: Any = field(
        default_factory=lambda: {"method": "recorded", "depth": 8, "min_samples_leaf": 0.25, "top_k": 0}
    )
    deploy_max_depth: int = 10  # the deployed tree is the best setting this deep or less
    bc_episodes: int = 10
    viper_iterations: int = 3
    viper_episodes: int = 2
    viper_dense_states: int = 0  # extract's states between recorded ones, added to VIPER's first aggregate
    extract_synthetic: int = 5000
    seed: int = 0


@dataclass(frozen=True)
class CodegenSettings(Section):
    name: ClassVar[str] = "codegen"
    cc: str = "cc"
    walk: str = "auto"


@dataclass(frozen=True)
class ReportSettings(Section):
    name: ClassVar[str] = "report"
    phase2: str = "auto"
    phase3: str = "auto"
    zero_shot_workloads: int = 15  # sim backend: generated workloads no model saw, scored in Phase 2
    zero_shot_seed: int = 1001
    zero_shot_dataset: str = ""  # or a measured dataset of other workloads (any backend)


@dataclass(frozen=True)
class RuntimeSettings(Section):
    name: ClassVar[str] = "runtime"
    decision_interval_s: float = 1.0
    load_levels: tuple[float, ...] = (0.1, 0.2, 0.35, 0.5, 0.7, 1.0)
    twin_trials: int = 2
    background_learning: bool = True
    distill_every_s: float = 600.0
    slow_tier_latency_s: float = 5.0
    buffer_intervals: int = 3600
    shadow_window_s: float = 120.0
    shadow_decisions: int = 5
    shadow_min_gain: float = 0.01
    max_fresh_cells: int = 64
    tree_depth: int = 10
    min_samples_leaf: int = 5
    confidence_threshold: float = 0.0
    leaf_margin: float = 0.5
    novelty: bool = True
    novelty_max_false_fallback: float = 0.05
    novelty_trigger_intervals: int = 3
    rollback_k: int = 3
    rollback_tolerance: float = 0.02
    probation_s: float = 300.0
    checkpoint_every_s: float = 600.0
    ring_confirm_intervals: int = 2
    guard: bool = True
    guard_tolerance: float = 0.01
    surprise_tolerance: float = 0.1
    label_tie_share: float = 0.02
    eval_novel_workloads: tuple[str, ...] = ("video", "microburst", "reqheavy")
    eval_seeds: int = 2
    eval_static_s: float = 120.0
    eval_dynamic_s: float = 7200.0
    eval_day_s: float = 86400.0


def _local_class() -> type:
    from dpdktune.backends.testpmd import TestpmdSettings  # the `local:` section, beside its only reader

    return TestpmdSettings


_CLASSES: tuple[type, ...] = (
    RetrySettings,
    OutputSettings,
    SloSettings,
    SimSettings,
    SshSettings,
    ValidateSettings,
    AnalysisSettings,
    BaselinesSettings,
    NdrSettings,
    DecisionSettings,
    RLSettings,
    DistillSettings,
    CodegenSettings,
    ReportSettings,
    RuntimeSettings,
)


def section_classes() -> dict[str, type]:
    """Every top-level section's class, by config key."""
    classes = {cls.name: cls for cls in _CLASSES}
    classes["local"] = _local_class()
    return classes


def section(config: Mapping[str, Any], name: str):
    """The typed settings of `config[name]`, defaults filled in: e.g. section(config, "rl").offline_steps."""
    cls = _local_class() if name == "local" else next((c for c in _CLASSES if c.name == name), None)
    if cls is None:
        raise KeyError(f"{name}: not a config section")
    return cls.from_config(config.get(name))
