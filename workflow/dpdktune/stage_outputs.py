"""Names of the files the analysis stages write, kept light so the rule files can import them
when Snakemake parses the workflow (the stage modules pull in scipy and scikit-learn)."""

ANALYSIS_TABLES = (
    "performance", "dynamic_range", "top_configs", "penalty", "clusters", "correlations",
    "importance", "knob_effects", "patterns", "anova", "sweet_spots", "cliffs", "variance", "eta_summary",
    "knob_levels",
)
ANALYSIS_FIGURES = ("dynamic_range", "heatmap_rx_cores", "heatmap_rings", "heatmap_aggregate", "penalty", "importance",
                    "knob_effects", "p99_rx")
GAP_TABLES = ("per_workload", "comparison", "aggregates", "significance", "failure_modes", "objectives")
GAP_FIGURES = ("gap", "baselines_vs_oracle")
