"""RL training and inference speed, CPU vs CUDA side by side, down to the inference time per decision.

Standalone: `python benchmarks/rl_train.py [--device cpu,cuda] [--dataset results/characterize/dataset.parquet]`.
Without --dataset it runs a small simulator campaign (5 workloads x the default grid x 1 trial).
For each device it times: d3rlpy gradient steps (CQL, BCQ, DoubleDQN) on the replayed MDPDataset,
PPO updates on the replay environment, and one decision (batch 1) and a batch of 4096 states.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))


def _config() -> dict:
    import yaml

    return yaml.safe_load((Path(__file__).resolve().parents[1] / "config" / "config.yaml").read_text())


def _records(config: dict, dataset: str | None):
    from dpdktune.dataset import read_records

    if dataset:
        return read_records(dataset)
    import tempfile

    from dpdktune.campaign.runner import run_inline
    from dpdktune.dataset import RECORD_COLUMNS

    small = {**config, "workloads": ["flood64", "large1500", "bursty", "imix", "rpc"], "trials": 1}
    records, _ = run_inline(small, tempfile.mkdtemp(prefix="rl_bench_"))
    return records.select(list(RECORD_COLUMNS)).to_pandas()


def _time(fn, repeats: int) -> float:
    """Median seconds of `fn()` over `repeats` calls after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def bench_device(device: str, landscape, normalizer, steps: int, batch: int) -> dict[str, float]:
    import d3rlpy
    import torch
    from dpdktune.rl import dataset
    from dpdktune.rl.algos import make_algo, seed_everything
    from dpdktune.rl.env import EnvSettings, ReplayEnv
    from dpdktune.rl.ppo import PPO, PPOSettings
    from dpdktune.rl.settings import RLSettings

    settings = RLSettings(device=device, batch_size=batch, hidden=(256, 256))
    seed_everything(0, torch.get_num_threads())
    mdp, arrays = dataset.build(landscape, normalizer, EnvSettings(), 30, seed=0)
    obs1 = arrays["observations"][:1]
    obs_big = np.resize(arrays["observations"], (4096, arrays["observations"].shape[1])).astype(np.float32)
    out: dict[str, float] = {}
    for name in ("cql", "bcq", "double_dqn"):
        algo = make_algo(name, settings)
        algo.build_with_dataset(mdp)
        t0 = time.perf_counter()
        for _ in algo.fitter(
            mdp,
            n_steps=steps,
            n_steps_per_epoch=steps,
            show_progress=False,
            logger_adapter=d3rlpy.logging.NoopAdapterFactory(),
            save_interval=10**9,
        ):
            pass
        out[f"{name} grad steps/s"] = steps / (time.perf_counter() - t0)
        out[f"{name} decision us (batch 1)"] = _time(lambda algo=algo: algo.predict(obs1), 200) * 1e6
        out[f"{name} decisions/s (batch 4096)"] = 4096 / _time(lambda algo=algo: algo.predict(obs_big), 20)
    env = ReplayEnv(landscape, normalizer, EnvSettings())
    resolved = "cuda:0" if device.startswith("cuda") else "cpu:0"
    t0 = time.perf_counter()
    ppo = PPO(PPOSettings(hidden=(256, 256), device=resolved, rollout_steps=512, minibatch=batch)).fit(env, steps)
    out["ppo env steps/s (incl. updates)"] = steps / (time.perf_counter() - t0)
    out["ppo decision us (batch 1)"] = _time(lambda: ppo.predict(obs1), 200) * 1e6
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu,cuda", help="comma-separated: cpu, cuda (skipped if absent)")
    parser.add_argument("--dataset", default=None, help="characterization Parquet (default: a small sim campaign)")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args(argv)

    import torch
    from dpdktune.dataset_arrays import Landscape, Normalizer

    config = _config()
    landscape = Landscape.from_records(_records(config, args.dataset), config)
    normalizer = Normalizer.fit(landscape.all_feature_rows())
    devices = [d.strip() for d in args.device.split(",") if d.strip()]
    results = {}
    for device in devices:
        if device.startswith("cuda") and not torch.cuda.is_available():
            print(f"# {device}: CUDA not available here, skipped")
            continue
        results[device] = bench_device(device, landscape, normalizer, args.steps, args.batch)
    if not results:
        return 1
    names = list(next(iter(results.values())))
    width = max(len(n) for n in names)
    header = f"{'metric':<{width}}" + "".join(f"{d:>14}" for d in results)
    if len(results) == 2:
        header += f"{'cuda/cpu':>10}"
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    print(
        f"# torch {torch.__version__}, cpu threads {torch.get_num_threads()}, gpu {gpu}, "
        f"{args.steps} steps, batch {args.batch}, MLP 256x256, {landscape.n_actions} actions"
    )
    print(header)
    for name in names:
        row = f"{name:<{width}}" + "".join(f"{results[d][name]:>14.1f}" for d in results)
        if len(results) == 2:
            a, b = (results[d][name] for d in results)
            row += f"{b / a:>10.2f}"
        print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
