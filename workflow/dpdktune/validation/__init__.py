"""Dataset validation (plan 1.2.3): missing points, failed runs, outliers, reproducibility, ranges."""
