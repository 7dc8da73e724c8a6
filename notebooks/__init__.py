"""The notebooks: one per folder, generated from notebooks/src/ by `python -m notebooks.build` (see README.md)."""
