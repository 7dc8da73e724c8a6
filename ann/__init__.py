"""Fully connected networks (multi-layer perceptrons), from one neuron to a trained MLP, in Keras and in NumPy."""
