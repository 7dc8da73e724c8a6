"""Encoder-decoder with Bahdanau and Luong attention: the layers, the model, data, training and the study."""
