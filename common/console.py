"""What a script shows on the terminal around Keras' own progress lines: log lines in order with Keras' output, and
none of TensorFlow's start-up notices unless asked for.

    setup_logging(config.verbose)                      # log lines on standard output; --verbose adds debug lines
    print(format_config(config))                       # common/config.py: the resolved config, first
    quiet_tensorflow(config.verbose)                   # then import keras: no oneDNN or CUDA notices
    machine_description()    # 'Linux x86_64, AMD EPYC, 2 CPU cores, ...': the machine a table's figures came from

This module imports only the standard library (quiet_tensorflow and machine_description import TensorFlow when they
are called).
"""

import logging
import os
import platform
import sys
from pathlib import Path


def quiet_tensorflow(verbose: bool) -> None:
    """Import TensorFlow without its C++ start-up notices, unless --verbose or the user's TF_CPP_MIN_LOG_LEVEL.

    TF_CPP_MIN_LOG_LEVEL alone no longer hides them: recent TensorFlow writes some through absl before the level
    applies (oneDNN and CUDA probes). So standard error's file descriptor points at /dev/null during the import
    and the device probe only; Python errors raised there still show, once it is restored.
    """
    if verbose or "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        return
    # 3 hides C++ errors too: a masked GRU/LSTM logs "oneDNN supports DT_BOOL only on platforms with AVX-512" as an
    # error although it only falls back to another kernel. Python exceptions are not affected; --verbose shows all.
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.stderr.flush()
    saved_stderr, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf

        tf.config.list_physical_devices()  # the CUDA probe, which logs when no GPU driver is found
        tf.get_logger().setLevel(logging.ERROR)  # e.g. retracing notices when one process trains several models
    finally:
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        os.close(devnull)


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is when a line is logged, even if it was replaced (tests, notebooks)."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:  # StreamHandler.__init__ assigns it; the property above always wins
        pass


def setup_logging(verbose: bool) -> None:
    """Log lines go to standard output, in order with Keras' progress lines; errors alone go to standard error."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(message)s", handlers=[StdoutHandler()], force=True
    )
    # JAX logs its search for a TPU at the INFO level ("Unable to initialize backend 'tpu'"): a notice, like
    # TensorFlow's start-up ones, that --verbose shows.
    logging.getLogger("jax").setLevel(logging.DEBUG if verbose else logging.WARNING)


def machine_description() -> str:
    """For example 'Linux x86_64, AMD EPYC, 2 CPU cores, Python 3.11.7, TensorFlow 2.21.0, Keras 3.15.1'."""
    import keras
    import tensorflow as tf

    cpu = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():  # Linux names the processor model here; platform.processor() is often empty there
        models = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")
        ]
        cpu = models[0] if models else cpu
    return (
        f"{platform.system()} {platform.machine()}, {cpu or 'unknown processor'}, {os.cpu_count()} CPU cores, "
        f"Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}"
    )
