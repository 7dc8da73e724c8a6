"""Serving a trained run folder: a web page and a JSON API (python -m serve), predictions from the terminal
(python -m serve.predict), and the model exported for TF Serving or TensorFlow Lite (python -m serve.export).
See serve/README.md."""
