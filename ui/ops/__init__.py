"""The GUI's one way to the library: an op runner that owns the library's thread (runner.py), the ops it runs
(library_ops.py) and their answers (messages.py); database-free work goes to the thread pool (background.py)."""
