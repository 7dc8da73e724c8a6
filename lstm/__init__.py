"""Long short-term memory networks (LSTM): model builders, data, training, and the cell from scratch."""
