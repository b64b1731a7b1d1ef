"""Landscape analysis of a characterisation dataset (plan 1.3)."""
