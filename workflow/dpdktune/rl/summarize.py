"""The Phase-2 RL tables: per-algorithm outputs combined into LWO scores with CIs, learning
curves with sample efficiency, and inference timings (what the report renders)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from dpdktune.rl.evaluate import lwo_summary, steps_to_fraction
from dpdktune.rl.settings import Q_ALGORITHMS
from dpdktune.splits import mean_ci


def sample_efficiency(curves: pd.DataFrame) -> pd.DataFrame:
    """Per algorithm: steps to reach 95 % of the final training score, mean and CI over splits."""
    rows = []
    for method, group in curves.groupby("method"):
        units = ["split", "seed"] if "seed" in group else ["split"]
        per_split = [steps_to_fraction(g, "train_final") for _, g in group.groupby(units)]
        mean, lo, hi = mean_ci(per_split)
        rows.append(
            {
                "method": method,
                "steps_to_95": mean,
                "steps_to_95_lo": lo,
                "steps_to_95_hi": hi,
                "final_train": float(group.sort_values("step").groupby(units)["train_final"].last().mean()),
            }
        )
    return pd.DataFrame(rows)


def summarize(score_paths: Sequence[str | Path], curve_paths: Sequence[str | Path], timing_paths: Sequence[str | Path]):
    """(scores, curves, summary): the per-workload scores and curves of every algorithm, and a
    JSON-able summary with the LWO table, sample efficiency, timings and the best Q-learner."""
    scores = pd.concat([pd.read_parquet(p) for p in score_paths], ignore_index=True)
    curves = pd.concat([pd.read_parquet(p) for p in curve_paths], ignore_index=True)
    timings = [json.loads(Path(p).read_text()) for p in timing_paths]
    lwo = lwo_summary(scores)
    efficiency = sample_efficiency(curves)
    table = lwo.merge(efficiency, on="method", how="outer")
    latency = {
        t["algorithm"]: {
            "inference_us": t.get("inference_us"),
            "device": t["device"],
            "train_s": float(np.sum([s["train_s"] for s in t["splits"].values()])),
        }
        for t in timings
    }
    table["inference_us"] = table.method.map(lambda m: latency.get(m, {}).get("inference_us"))
    q_rows = table[table.method.isin(Q_ALGORITHMS)].sort_values(["final", "first"], ascending=False)
    summary = {
        "lwo": table.replace({np.nan: None}).to_dict(orient="records"),
        "timings": latency,
        "best_q_algorithm": str(q_rows.method.iloc[0]) if len(q_rows) else None,
        "in_sample": scores[scores.part == "train"]
        .groupby("method")[["first", "final"]]
        .mean()
        .reset_index()
        .to_dict(orient="records"),
    }
    return scores, curves, summary


def lwo_table(summary: dict) -> pd.DataFrame:
    return pd.DataFrame(summary["lwo"])


def baseline_format(records: pd.DataFrame, config: dict, model_dir: str | Path) -> pd.DataFrame:
    """Each RL split model's first decision from the default-config fingerprints, scored by the
    baselines' own `score_policy` on the same split, so RL and baselines pair row for row."""
    from dpdktune.baselines.evaluate import score_policy, splits_for
    from dpdktune.fingerprint import fingerprints
    from dpdktune.objective import objective_table
    from dpdktune.rl.experiment import load_model
    from dpdktune.sections import section

    settings = section(config, "rl")
    X = fingerprints(records, config)
    table = objective_table(records, config)
    splits = splits_for(config, sorted(set(X.index.get_level_values("workload"))))[: settings.split_repeats]
    parts = []
    from dpdktune.rl.experiment import _tag

    for algorithm in settings.algorithms:
        for k, split in enumerate(splits):
            for j in range(settings.seeds):
                model, normalizer, meta = load_model(
                    Path(model_dir) / algorithm / f"{_tag(k, j)}.json", settings.device
                )
                if sorted(meta["test"]) != sorted(split[1]):
                    raise ValueError(
                        f"{algorithm} split {k}: the model's test workloads differ from the baselines' split"
                    )

                def fit(x_train, y_train, model=model, normalizer=normalizer):
                    return lambda x: np.asarray(model.predict(normalizer.transform(x.to_numpy(float))), int)

                parts.append(score_policy(fit, X, table, [split], f"RL-{algorithm}").assign(split=k, seed=j))
    return pd.concat(parts, ignore_index=True)
