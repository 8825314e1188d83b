"""Composition root: builds the services, reads settings and opens the window (or runs the CLI)."""
