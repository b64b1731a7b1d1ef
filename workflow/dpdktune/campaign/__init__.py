"""Campaigns: the runs a config implies, batched per workload, journaled, merged and archived."""
