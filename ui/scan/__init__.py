"""Scanning: the folders of the library, the scan's progress, and the files that could not be read."""
