"""Bundled starter files (links to the top-level config example, campaigns and templates)."""
