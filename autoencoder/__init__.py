"""Autoencoders: compress an image into a short code and rebuild it (dense, convolutional, denoising, variational),
with PCA as the baseline, anomaly detection by reconstruction error, and a linear autoencoder in NumPy."""
