"""The model manager: which models exist, their weights, downloads and imports, the active model and device."""
