"""The GUI's one way to the library: the worker thread that owns it and the requests and answers that cross to it."""
