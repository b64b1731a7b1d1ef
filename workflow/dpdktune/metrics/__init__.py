"""Experiment records: the Arrow schemas, provenance and Parquet I/O."""
