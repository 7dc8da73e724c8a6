"""--distribute: several devices or machines training one model with tf.distribute.

    strategy = make_strategy(config.distribute)        # in main, before TensorFlow runs anything
    with strategy.scope():                             # variables made here are mirrored on every replica
        model = build_model(...)
        model.compile(...)

none is one device and no strategy; mirrored copies the model to every local GPU (two logical CPU devices on a
machine without one); multi-worker copies it to every machine named in the TF_CONFIG environment variable, which
read_tf_config checks, and only the chief (is_chief) writes the run folder (common/runs.py's start_run).

This module imports only the standard library at the top, like common/config.py, which calls read_tf_config while it
checks the flags: TensorFlow and Keras load inside the functions that need them.
"""

import json
import logging
import os
import re
from contextlib import nullcontext

from common.flags import fail, require

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------------------------------
# TF_CONFIG: the machines of a multi-worker run, and the one that writes the run folder


def read_tf_config() -> dict:
    """The TF_CONFIG environment variable of --distribute multi-worker, checked: every worker of a multi-worker run
    gets the same "cluster" (the host:port of each worker) and its own "task" (its type and index), for example

        TF_CONFIG='{"cluster": {"worker": ["10.0.0.1:12345", "10.0.0.2:12345"]},
                    "task": {"type": "worker", "index": 0}}'

    Raises ValueError, in one sentence, when it is missing or malformed.
    """
    text = os.environ.get("TF_CONFIG", "")
    require(
        text.strip() != "",
        "--distribute multi-worker needs the TF_CONFIG environment variable (the cluster "
        "and this worker's task; see the README's Faster and bigger)",
    )
    try:
        tf_config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"TF_CONFIG is not valid JSON ({error})") from None
    require(
        isinstance(tf_config, dict)
        and isinstance(tf_config.get("cluster"), dict)
        and isinstance(tf_config.get("task"), dict),
        'TF_CONFIG needs a "cluster" and a "task" object, e.g. {"cluster": {"worker": ["host1:12345", '
        '"host2:12345"]}, "task": {"type": "worker", "index": 0}}',
    )
    cluster, task = tf_config["cluster"], tf_config["task"]
    for job, addresses in cluster.items():
        require(
            job in ("chief", "worker")
            and isinstance(addresses, list)
            and addresses
            and all(isinstance(a, str) and re.fullmatch(r"[^\s:]+:\d+", a) for a in addresses),
            f'TF_CONFIG\'s cluster must map "chief" and "worker" to lists of host:port addresses (got {job!r}: '
            f"{addresses!r})",
        )
    require("worker" in cluster or "chief" in cluster, 'TF_CONFIG\'s cluster names no "worker"')
    kind, index = task.get("type"), task.get("index")
    tasks = ", ".join(f"{job} 0-{len(addresses) - 1}" for job, addresses in cluster.items())
    require(
        kind in cluster and isinstance(index, int) and 0 <= index < len(cluster[kind]),
        f"TF_CONFIG's task {task!r} is none of the cluster's ({tasks})",
    )
    return tf_config


def is_chief(distribute: str) -> bool:
    """True for the one process that writes the run folder: always, except on the other workers of a
    --distribute multi-worker run (the chief is task "chief", or worker 0 when the cluster has no chief)."""
    if distribute != "multi-worker":
        return True
    tf_config = read_tf_config()
    kind, index = tf_config["task"]["type"], tf_config["task"]["index"]
    return kind == "chief" or (kind == "worker" and index == 0 and "chief" not in tf_config["cluster"])


# ----------------------------------------------------------------------------------------------------------------
# The strategy a train script builds and compiles its model under


class SingleDevice:
    """--distribute none: one device, no tf.distribute strategy; its scope() changes nothing, on any backend."""

    num_replicas_in_sync = 1

    def scope(self):
        return nullcontext()


def make_strategy(distribute: str):
    """The tf.distribute strategy a train script builds and compiles its model under (--distribute).

    Call it before any TensorFlow operation runs: a multi-worker strategy, and the split of a CPU into two logical
    devices, can only be set up before TensorFlow starts its runtime.

    mirrored: one copy (replica) of the model per local GPU. Each training step splits the global batch
    (--batch-size) between the replicas, each computes the gradients of its share, the gradients are summed across
    replicas (an all-reduce), and every replica applies the same update, so the copies stay identical. On a machine
    without a GPU the CPU is split into two logical devices, so that the mechanics run (and are tested) anywhere:
    expect no speed-up from that, both devices share the same cores. A second run in the same process (a study that
    trains several models) uses the two devices the first one made; a process where TensorFlow started without them
    (a notebook or a test that ran TensorFlow first) is refused, one line and exit status 2 (see below).
    multi-worker: the same across machines, every one running the same command with its own TF_CONFIG (see
    read_tf_config); the gradients travel between them over the network (gRPC).
    """
    if distribute == "none":
        return SingleDevice()
    import tensorflow as tf

    if distribute == "multi-worker":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        mend_keras_for_multi_worker()
    elif tf.config.list_physical_devices("GPU"):
        strategy = tf.distribute.MirroredStrategy()  # every local GPU
    else:
        cpu = tf.config.list_physical_devices("CPU")[0]
        try:
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        except RuntimeError:  # the runtime has started: the CPU's logical devices can no longer change
            pass
        devices = [device.name for device in tf.config.list_logical_devices("CPU")]
        if len(devices) < 2:
            # TensorFlow started in this process before the CPU was split. This used to mirror over the one device
            # it had, which teaches nothing and crashed TensorFlow now and then (a segmentation fault in the LSTM's
            # validation pass, in tests): refused like any input that cannot work, before anything is written.
            fail(
                "--distribute mirrored without a GPU splits the CPU into two logical devices, which TensorFlow "
                "allows only before it starts, and it has started in this process already: run the script in a "
                "new process (or restart the notebook's kernel), or leave --distribute out"
            )
        # The gradients are added on one device and copied back (ReductionToOneDevice): TensorFlow's collective
        # all-reduce, its choice otherwise, fails on a second model trained in the same process (a compare study).
        strategy = tf.distribute.MirroredStrategy(devices, cross_device_ops=tf.distribute.ReductionToOneDevice())
    log.info("--distribute %s: %d replicas in sync", distribute, strategy.num_replicas_in_sync)
    return strategy


# ----------------------------------------------------------------------------------------------------------------
# The one place that patches private Keras code, kept apart: fit under MultiWorkerMirroredStrategy


def mend_keras_for_multi_worker() -> None:
    """Let Keras 3.15's fit run under MultiWorkerMirroredStrategy (keras-team/keras issue 20585, open), in two places.

    1. Before the first step, fit reads one batch to build the model's shapes and averages it over the replicas with
       strategy.reduce, which this strategy cannot do for a tuple (x, y) of per-replica tensors ("Attempt to convert
       a value (PerReplica...) to a Tensor"). Only the shapes matter there: Keras gets this worker's share instead.
    2. After every step, the losses and metrics of the replicas are averaged with reduce(..., axis=0), which fails
       for a number ("Invalid reduction dimension 0 for input with 0 dimensions"): they are averaged with axis=None,
       the mean over replicas, as on one machine.
    Both touch private Keras code: requirements.txt pins Keras below 3.16, and tests/test_common_distribute.py runs
    two workers, so a Keras that changes either is noticed at once.
    """
    import keras
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer as keras_trainer

    keras_build = keras_trainer.TensorFlowTrainer._maybe_symbolic_build
    keras_reduce = keras_trainer.reduce_per_replica
    if getattr(keras_build, "mended", False):
        return

    def maybe_symbolic_build(self, iterator=None, data_batch=None):
        if iterator is not None and data_batch is None:
            for _, _, batches in iterator:
                data_batch = keras.tree.map_structure(
                    lambda value: value.values[0] if isinstance(value, tf.distribute.DistributedValues) else value,
                    next(batches),
                )
                break
        return keras_build(self, data_batch=data_batch)

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            return keras.tree.map_structure(lambda value: strategy.reduce("MEAN", value, axis=None), values)
        return keras_reduce(values, strategy, reduction)

    maybe_symbolic_build.mended = True
    keras_trainer.TensorFlowTrainer._maybe_symbolic_build = maybe_symbolic_build
    keras_trainer.reduce_per_replica = reduce_per_replica
