"""Generative adversarial networks: a DCGAN (and a conditional one) that draws digits, scored by a classifier's
Fréchet distance and class spread beside real, noise and mean-image anchors, and a one-dimensional GAN in NumPy."""
