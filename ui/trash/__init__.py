"""Trashing what the Review marked: preview, confirmation, the journal and undo."""
