"""Phase 2 distillation: an RL policy into a decision tree (BC, VIPER/Q-DAgger, argmax-Q extraction)."""
