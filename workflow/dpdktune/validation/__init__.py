"""Dataset validation: missing points, failed runs, outliers, reproducibility, ranges."""
