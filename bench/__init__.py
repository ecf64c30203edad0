"""Benchmarks of Prospector against its peers (run from the repository root)."""
