"""Phase 2 RL: gymnasium environments, the offline dataset, d3rlpy/PPO training and evaluation."""
