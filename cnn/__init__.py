"""Convolutional networks, from one convolution to residual blocks, in Keras and (the operations) in NumPy."""
