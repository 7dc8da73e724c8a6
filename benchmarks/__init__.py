"""The benchmark commands and the tables they write: `python -m benchmarks.run FOLDER` (see run.py)."""
