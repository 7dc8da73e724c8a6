"""Shared pieces every architecture folder uses: config and command line, datasets, the training loop, metrics, plots."""
