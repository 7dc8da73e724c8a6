"""Gated recurrent units (GRU): model builders, data, training, and the cell from scratch."""
