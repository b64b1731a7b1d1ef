"""One RL algorithm over the leave-workload-out splits x training seeds (the evaluation), or on
all workloads (the deployed model, all that `fastpath.so` needs).

For each split the normalizer, the offline dataset and the online environment see only the
training workloads; the test workloads are scored zero-shot. Splits are the first
`rl.split_repeats` of `splits.workload_splits` called exactly as the baselines call it, so
RL and baseline scores are paired split by split.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from dpdktune.atomic import write_json
from dpdktune.dataset_arrays import Landscape, Normalizer
from dpdktune.rl.env import EnvSettings, ReplayEnv, SimEnv
from dpdktune.rl.evaluate import closed_loop, inference_us
from dpdktune.rl.settings import OFFLINE, ONLINE, RLSettings, resolve_device
from dpdktune.sections import section
from dpdktune.splits import workload_splits

ALL = "all"  # the split tag of the model trained on every workload
log = logging.getLogger("dpdktune.rl")


def lwo_splits(config: dict[str, Any], workloads, repeats: int) -> list[tuple[list[str], list[str]]]:
    """The baselines' splits (same arguments, same seed), first `repeats` of them."""
    b = section(config, "baselines")
    splits = workload_splits(workloads, b.split_repeats, b.test_fraction, config["seed"])
    return splits[:repeats]


def online_env(
    config: dict[str, Any],
    landscape: Landscape,
    normalizer: Normalizer,
    env_settings: EnvSettings,
    settings: RLSettings,
    seed: int,
):
    """The environment DQN and PPO interact with: the simulator, or a replay of the dataset.

    Online training always runs the simulator (never a real DUT), whatever `backend` says;
    rewards are normalized by the dataset's oracle, so with a real-hardware dataset the
    simulator should first be calibrated to it (`dpdktune calibrate`)."""
    if settings.online_env == "replay":
        return ReplayEnv(landscape, normalizer, env_settings), None
    from dpdktune.backends import make_backend
    from dpdktune.campaign.plan import campaign_workloads, load_campaign_hardware

    wanted = set(landscape.workloads)
    workloads = [w for w in campaign_workloads(config) if w.name in wanted]
    backend = make_backend({**config, "backend": "sim"})
    env = SimEnv(
        backend,
        load_campaign_hardware(config),
        workloads,
        landscape.grid,
        landscape.default_action,
        normalizer,
        env_settings,
        dict(zip(landscape.workloads, landscape.oracle())),
        config,
    )
    return env, backend


def _evaluator(train: Landscape, test: Landscape | None, normalizer, settings, env_settings):
    def evaluate(policy) -> dict[str, float]:
        out = {}
        for part, land in (("train", train), ("test", test)):
            if land is None:
                continue
            frame = closed_loop(policy, land, normalizer, settings.eval_decisions, env_settings)
            out[f"{part}_first"] = float(frame["first"].mean())
            out[f"{part}_final"] = float(frame["final"].mean())
        return out

    return evaluate


def train_one(
    name: str,
    config: dict[str, Any],
    train: Landscape,
    test: Landscape | None,
    settings: RLSettings,
    env_settings: EnvSettings,
    seed: int,
):
    """Train `name` on `train`; returns (model, normalizer, learning curve, train seconds)."""
    from dpdktune.rl import dataset as rl_dataset
    from dpdktune.rl.ppo import PPO, PPOSettings
    from dpdktune.rl.train_offline import train_offline
    from dpdktune.rl.train_online import train_online

    normalizer = Normalizer.fit(train.all_feature_rows())
    evaluate = _evaluator(train, test, normalizer, settings, env_settings)
    settings = replace(settings, seed=seed)
    t0 = time.perf_counter()
    if name in OFFLINE:
        data, _ = rl_dataset.build(
            train, normalizer, env_settings, settings.dataset_episodes, seed, settings.behaviour_epsilon
        )
        model, curve = train_offline(name, data, settings, evaluate)
    elif name in ONLINE:
        env, backend = online_env(config, train, normalizer, env_settings, settings, seed)
        try:
            model, curve = train_online(name, env, settings, evaluate)
        finally:
            if backend is not None:
                backend.close()
    elif name == "ppo":
        import torch

        torch.manual_seed(seed)
        torch.set_num_threads(settings.threads)
        env, backend = online_env(config, train, normalizer, env_settings, settings, seed)
        ppo = PPO(
            PPOSettings(
                hidden=settings.hidden,
                learning_rate=settings.learning_rate,
                gamma=settings.gamma,
                seed=seed,
                device=resolve_device(settings.device),
            )
        )
        curve_rows = [{"step": 0}]
        every = max(1, settings.eval_every)
        next_eval = [every]

        def on_update(model, step):
            if step >= next_eval[0] or step == settings.online_steps:
                curve_rows.append({"step": step, **evaluate(model)})
                next_eval[0] += every

        try:
            model = ppo.fit(env, settings.online_steps, callback=on_update)
        finally:
            if backend is not None:
                backend.close()
        curve = pd.DataFrame(curve_rows[1:])
    else:
        raise ValueError(f"rl.algorithms: unknown algorithm {name!r}")
    return model, normalizer, curve, time.perf_counter() - t0


def save_model(name: str, model, normalizer: Normalizer, meta: dict[str, Any], directory: Path, tag: str) -> Path:
    """results/rl/models/<algo>/<tag>.{d3,pt} plus <tag>.json (normalizer, workloads, settings)."""
    from dpdktune.rl.algos import save_algo

    directory.mkdir(parents=True, exist_ok=True)
    if name == "ppo":
        path = model.save(directory / f"{tag}.pt")
    else:
        path = save_algo(model, directory / f"{tag}.d3")
    write_json(
        {"algorithm": name, "model": path.name, "normalization": normalizer.to_dict(), **meta},
        directory / f"{tag}.json",
    )
    return path


def load_model(meta_path: str | Path, device: str = "auto"):
    """(model, normalizer, meta) from a <tag>.json written by `save_model`."""
    import json

    from dpdktune.rl.algos import load_algo
    from dpdktune.rl.ppo import PPO

    meta_path = Path(meta_path)
    meta = json.loads(meta_path.read_text())
    model_path = meta_path.with_name(meta["model"])
    if meta["algorithm"] == "ppo":
        model = PPO.load(model_path, resolve_device(device))
    else:
        model = load_algo(model_path, device)
    return model, Normalizer.from_dict(meta["normalization"]), meta


def _tag(split: int, seed_index: int) -> str:
    """A split model's file tag: "<split>" for the first training seed, "<split>-s<j>" for others."""
    return str(split) if seed_index == 0 else f"{split}-s{seed_index}"


def run(
    name: str,
    records: pd.DataFrame,
    config: dict[str, Any],
    model_dir: str | Path,
    threads: int | None = None,
    part: int = 0,
    parts: int = 1,
):
    """The leave-workload-out evaluation of algorithm `name`: every split x training seed, or
    every `parts`-th of them from `part` on (each training seeds itself, so parts run as separate
    jobs give the same models and scores; `merge_parts` joins them in order).

    Returns (scores, curves, timing): per-workload closed-loop scores (part = train | test, with
    the split and the seed), learning curves, and wall-clock / inference timings. Progress and
    an ETA go to the log after each training.
    """
    settings = section(config, "rl")
    env_settings = EnvSettings.from_settings(settings)
    if threads is not None:
        settings = replace(settings, threads=int(threads))
    full = Landscape.from_records(records, config)
    model_dir = Path(model_dir)
    splits = lwo_splits(config, full.workloads, settings.split_repeats)
    _warn_unscorable(full)
    jobs = [(k, j, tr, te) for k, (tr, te) in enumerate(splits) for j in range(settings.seeds)][part::parts]
    scores, curves, timing = [], [], {"algorithm": name, "device": resolve_device(settings.device), "splits": {}}
    start = time.perf_counter()
    for n, (k, j, train_names, test_names) in enumerate(jobs):
        tag = _tag(k, j)
        train, test = full.subset(full.scorable(train_names)), full.subset(full.scorable(test_names))
        seed = settings.seed + k + 1000 * j
        model, normalizer, curve, seconds = train_one(name, config, train, test, settings, env_settings, seed)
        meta = {
            "split": str(k),
            "seed": seed,
            "seed_index": j,
            "train": train_names,
            "test": test_names,
            "settings": settings.to_dict(),
            "env": env_settings.__dict__,
            "grid": [g.as_dict() for g in full.grid],
            "default_action": full.default_action,
        }
        save_model(name, model, normalizer, meta, model_dir, tag)
        curves.append(curve.assign(method=name, split=str(k), seed=j))
        for part, land in (("train", train), ("test", test)):
            frame = closed_loop(model, land, normalizer, settings.eval_decisions, env_settings)
            scores.append(frame.assign(method=name, split=str(k), seed=j, part=part))
        timing["splits"][tag] = {"train_s": seconds}
        if n == 0:
            timing["inference_us"] = inference_us(model, normalizer.transform(full.all_feature_rows()))
        _progress(name, n + 1, len(jobs), time.perf_counter() - start)
    return pd.concat(scores, ignore_index=True), pd.concat(curves, ignore_index=True), timing


def merge_parts(parts: list[tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]]):
    """(scores, curves, timing) of `run` from its parts' outputs, in the order one job writes them."""

    def ordered(frames: list[pd.DataFrame]) -> pd.DataFrame:
        frame = pd.concat(frames, ignore_index=True)
        key = frame.split.astype(int) * 10_000 + frame.seed.astype(int)
        return frame.iloc[key.argsort(kind="stable")].reset_index(drop=True)

    timings = [t for _, _, t in parts]
    tags = sorted(
        (tag for t in timings for tag in t["splits"]),
        key=lambda tag: (int(tag.split("-s")[0]), int(tag.split("-s")[1]) if "-s" in tag else 0),
    )
    splits = {tag: t["splits"][tag] for tag in tags for t in timings if tag in t["splits"]}
    timing = {**timings[0], "splits": splits}
    return ordered([s for s, _, _ in parts]), ordered([c for _, c, _ in parts]), timing


def run_deployed(
    name: str, records: pd.DataFrame, config: dict[str, Any], model_dir: str | Path, threads: int | None = None
) -> dict[str, Any]:
    """The model `fastpath.so` deploys: `name` trained once on every workload (<model_dir>/all.json)."""
    settings = section(config, "rl")
    env_settings = EnvSettings.from_settings(settings)
    if threads is not None:
        settings = replace(settings, threads=int(threads))
    full = Landscape.from_records(records, config)
    _warn_unscorable(full)
    full = full.subset(full.scorable())
    model, normalizer, curve, seconds = train_one(name, config, full, None, settings, env_settings, settings.seed)
    meta = {
        "split": ALL,
        "seed": settings.seed,
        "train": list(full.workloads),
        "test": [],
        "settings": settings.to_dict(),
        "env": env_settings.__dict__,
        "grid": [g.as_dict() for g in full.grid],
        "default_action": full.default_action,
    }
    save_model(name, model, normalizer, meta, Path(model_dir), ALL)
    _progress(name, 1, 1, seconds)
    return {
        "algorithm": name,
        "train_s": seconds,
        "curve": curve.to_dict(orient="records"),
        "inference_us": inference_us(model, normalizer.transform(full.all_feature_rows())),
    }


def _warn_unscorable(land: Landscape) -> None:
    left_out = sorted(set(land.workloads) - set(land.scorable()))
    if left_out:
        log.warning(
            "workloads no config serves (objective 0 everywhere), left out of training and scoring: %s", left_out
        )


def _progress(name: str, done: int, total: int, elapsed: float) -> None:
    eta = elapsed / done * (total - done)
    log.info("%s: %d/%d trainings done in %.0f s; ETA %.0f s", name, done, total, elapsed, eta)
