"""Shared pieces every architecture folder uses: config and command line, datasets, training, metrics, plots."""
