"""Landscape analysis of a characterisation dataset: range, optima, penalties, patterns."""
