"""Simple recurrent networks (SimpleRNN): model builders, data, training, and the cell from scratch."""
