"""Typer apps: parse, call one core function, print. The only place that prints."""
