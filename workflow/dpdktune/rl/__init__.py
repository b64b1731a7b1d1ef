"""Phase 2 RL: gymnasium environments, the offline dataset, d3rlpy/PPO training and evaluation."""

from dpdktune.logs import silence_gym_notice

silence_gym_notice()  # before any d3rlpy import: d3rlpy imports the old gym, which prints a banner
