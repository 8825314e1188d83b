"""Twinlens engine: scanning, decoding, hashing, catalog, grouping, keep rules, trash journal, CLI.

This package never imports PySide6, `ui` or `app`; tests/test_architecture.py proves it.
"""
