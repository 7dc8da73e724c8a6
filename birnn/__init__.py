"""Bidirectional recurrent networks: model builders, data (a tagging task that needs both directions), training."""
