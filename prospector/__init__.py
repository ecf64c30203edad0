"""Prospector: outreach prospecting and automation for SEO link building."""

__version__ = "0.1.0"
