"""Rank-list import benchmark: ``python -m bench.ranks.run``."""
