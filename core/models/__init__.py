"""The library's models: the active model and its encoder, thresholds and calibration, queries by image or text, and
getting, importing and switching models.
"""
