"""Rule build_rl_dataset: the d3rlpy MDPDataset over every workload (dpdktune.rl.dataset)."""

import pandas as pd
from dpdktune.atomic import replacing, write_json
from dpdktune.dataset import dataset_provenance, read_records
from dpdktune.dataset_arrays import Landscape, Normalizer
from dpdktune.logs import rule_logging
from dpdktune.metrics.parquet import write_frame
from dpdktune.rl import dataset
from dpdktune.rl.env import EnvSettings
from dpdktune.rl.settings import RLSettings

with rule_logging(snakemake.log[0]) as log:
    prov = dataset_provenance(snakemake.input.dataset)
    config = snakemake.config
    settings = RLSettings.from_config(config["rl"])
    landscape = Landscape.from_records(read_records(snakemake.input.dataset), config)
    landscape = landscape.subset(landscape.scorable())  # a workload no config serves has no reward
    normalizer = Normalizer.fit(landscape.all_feature_rows())
    mdp, arrays = dataset.build(
        landscape,
        normalizer,
        EnvSettings.from_config(config["rl"]),
        settings.dataset_episodes,
        settings.seed,
        settings.behaviour_epsilon,
    )
    with replacing(snakemake.output.dataset) as tmp, open(tmp, "w+b") as fh:
        mdp.dump(fh)
    write_frame(
        pd.DataFrame(
            {
                "action": arrays["actions"],
                "reward": arrays["rewards"],
                "terminal": arrays["terminals"],
                "timeout": arrays["timeouts"],
                "behaviour": arrays["behaviour"],
            }
        ),
        snakemake.output.transitions,
        prov,
    )
    write_json(
        {
            "behaviours": dict(
                zip(
                    dataset.BEHAVIOURS,
                    [
                        "uniformly random config each step",
                        "one knob moved one grid step from the current config (hill-climbing operator)",
                        f"the workload's best config, or a random one with probability {settings.behaviour_epsilon}",
                    ],
                )
            ),
            "episodes": settings.dataset_episodes,
            "transitions": int(len(arrays["actions"])),
            "normalization": normalizer.to_dict(),
            "action_size": landscape.n_actions,
            "mean_reward": {b: float(arrays["rewards"][arrays["behaviour"] == b].mean()) for b in dataset.BEHAVIOURS},
        },
        snakemake.output.behaviour,
    )
    log.info("MDPDataset: %d transitions in %d episodes", len(arrays["actions"]), settings.dataset_episodes)
