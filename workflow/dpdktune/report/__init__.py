"""The self-contained go/no-go report.html (plan 1.5.3)."""
