"""The flags of "Faster and bigger" that every train script shares: --jit-compile, --steps-per-execution N,
--mixed-precision and --tensorboard (--distribute has tests/test_common_distribute.py) (common/config.py's
TrainConfig, common/training.py's mixed_precision_scope).

Every script lists them; each train script hands jit_compile and steps_per_execution to its own compile (seen by a
spy on Model.compile, and in model.keras, which keeps the compile settings, except ann/'s and cnn/'s: their saved
model is an inference model with the scaling inside, not compiled); mixed precision computes in
float16 with float32 weights and a float32 output in every folder, scales the loss (the GAN's two losses too) and
leaves no global policy behind; TensorBoard logs land in the run folder; a bad value is one line and exit 2.
"""

import contextlib
import importlib
import io
import json
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from common.training import mixed_precision_scope

SCRIPTS = ("ann.train", "cnn.train", "rnn.train", "lstm.train", "gru.train", "deep_rnn.train", "birnn.train",
           "attention.train", "autoencoder.train", "gan.train", "deep_rnn.compare", "attention.compare")
# Their model.keras: an inference model with the scaling inside, uncompiled (lstm/'s runs here are on a series)
END_TO_END = ("ann.train", "cnn.train", "lstm.train")
CNN_SMALL = ["--dataset", "digits", "--arch", "basic", "--no-augment"]  # 8x8 digits: a --quick run in seconds


def quick_run(run_main, module: str, argv: list[str], output_dir: Path) -> tuple[dict, Path, list[str]]:
    """(result, run folder, stdout lines) of `python -m module argv --quick`, after checking that its test metrics
    are finite numbers and that no mixed precision policy was left behind."""
    result, out, err = run_main(importlib.import_module(module).main, [*argv, "--quick", "--output-dir",
                                                                       str(output_dir)])
    assert isinstance(result, dict), err
    assert result["test"] and all(np.isfinite(value) for value in result["test"].values())
    assert keras.mixed_precision.global_policy().name == "float32"
    return result, Path(result["run_dir"]), out


def auto_jit_compile() -> bool:
    """What compile's jit_compile="auto" resolves to for these small models: XLA where there is a GPU, not on CPUs."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def compile_settings(run_dir: Path) -> dict:
    """The compile settings saved inside run_dir/model.keras (a zip holding config.json); empty for a model saved
    without them (ann/'s end-to-end inference model)."""
    with zipfile.ZipFile(run_dir / "model.keras") as archive:
        return json.loads(archive.read("config.json")).get("compile_config") or {}


@pytest.fixture
def compile_calls(monkeypatch) -> list:
    """(jit_compile, steps_per_execution) of every Model.compile call while the test runs."""
    calls, original = [], keras.Model.compile

    def spy(model, *args, **kwargs):
        calls.append((kwargs.get("jit_compile"), kwargs.get("steps_per_execution")))
        return original(model, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "compile", spy)
    return calls


def layer_named(model, name: str):
    """The layer of that name in model or in a model nested inside it (ann/'s network inside its end-to-end model)."""
    for layer in model.layers:
        if layer.name == name:
            return layer
        if isinstance(layer, keras.Model):
            with contextlib.suppress(ValueError):
                return layer_named(layer, name)
    raise ValueError(f"no layer {name!r} in {model.name}")


@pytest.mark.parametrize("module", SCRIPTS)
def test_every_train_script_lists_the_five_flags(module, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    output = io.StringIO()
    with contextlib.redirect_stdout(output), pytest.raises(SystemExit) as exit_info:
        importlib.import_module(module).main(["--help"])
    assert exit_info.value.code == 0
    text = " ".join(output.getvalue().split())
    for usage in ("[--jit-compile]", "[--steps-per-execution N]", "[--mixed-precision]", "[--tensorboard]",
                  "[--distribute {none,mirrored,multi-worker}]"):
        assert usage in text
    assert "--batch-size stays the global batch" in text
    assert "--jit-compile compile the training step with XLA" in text
    assert "every Nth batch only (default: 1)" in text
    assert "usually slower on a CPU" in text  # mixed precision: the help says what to expect here


# ---------------------------------------------------------------------------------------------------------------
# --jit-compile and --steps-per-execution reach compile


@pytest.mark.parametrize("module, argv", [
    ("ann.train", ["--jit-compile"]),
    ("cnn.train", [*CNN_SMALL, "--jit-compile"]),
    ("lstm.train", ["--dataset", "sine", "--jit-compile"]),
    ("cnn.train", [*CNN_SMALL, "--steps-per-execution", "4"]),
    ("lstm.train", ["--dataset", "sine", "--steps-per-execution", "4"]),
], ids=["ann-jit", "cnn-jit", "lstm-jit", "cnn-steps", "lstm-steps"])
def test_jit_compile_and_steps_per_execution_train_and_reach_compile(module, argv, tmp_path, run_main,
                                                                     compile_calls):
    result, run_dir, _ = quick_run(run_main, module, argv, tmp_path)
    jit, steps = "--jit-compile" in argv, int(argv[-1]) if "--steps-per-execution" in argv else 1
    # Without the flag the script passes "auto", which Keras resolves at compile time: XLA only on an accelerator.
    assert compile_calls == [(jit or "auto", steps)]
    settings = compile_settings(run_dir)
    if module not in END_TO_END:  # the model saved as it was compiled
        assert (settings["jit_compile"], settings["steps_per_execution"]) == (jit or auto_jit_compile(), steps)
    else:  # the end-to-end inference model
        assert settings == {}
    config = json.loads((run_dir / "config.json").read_text())
    assert (config["jit_compile"], config["steps_per_execution"]) == (jit, steps)
    assert (config["mixed_precision"], config["tensorboard"]) == (False, False)
    assert result["epochs_run"] == 2 and not (run_dir / "tensorboard").exists()


# ---------------------------------------------------------------------------------------------------------------
# --mixed-precision


@pytest.mark.parametrize("module, argv, hidden_layer", [
    ("ann.train", [], "hidden_1"),
    ("cnn.train", CNN_SMALL, "conv1"),
    ("lstm.train", ["--dataset", "sine"], "recurrent_1"),
], ids=["ann", "cnn", "lstm"])
def test_mixed_precision_computes_in_float16_with_float32_weights_and_output(module, argv, hidden_layer, tmp_path,
                                                                             run_main):
    _, run_dir, _ = quick_run(run_main, module, [*argv, "--mixed-precision"], tmp_path)
    model = keras.saving.load_model(run_dir / "model.keras", compile=False)
    hidden = layer_named(model, hidden_layer)
    assert (hidden.dtype_policy.name, hidden.compute_dtype, hidden.variable_dtype) == \
           ("mixed_float16", "float16", "float32")
    assert layer_named(model, "output").compute_dtype == "float32"
    assert {weight.dtype for weight in model.weights} == {"float32"}
    x = np.zeros((2, *[5 if size is None else size for size in model.input_shape[1:]]), dtype="float32")  # 5 steps
    assert keras.backend.standardize_dtype(model(x).dtype) == "float32"
    assert json.loads((run_dir / "config.json").read_text())["mixed_precision"] is True


def test_a_failed_build_under_mixed_precision_leaves_no_policy_behind(assert_bad_input):
    # 8x8 digits are too small for three valid-padded blocks: bad input, raised inside the mixed precision scope.
    from cnn.train import main

    assert_bad_input(main, ["--dataset", "digits", "--padding", "valid", "--blocks", "3", "--mixed-precision"],
                     "the image is only")
    assert keras.mixed_precision.global_policy().name == "float32"


def inputs_for(model: keras.Model):
    """Zeros (or token id 1) of each input's shape, with 3 for the batch and any open length; a list for several."""
    inputs = [np.full([3 if size is None else size for size in tensor.shape],
                      1 if "int" in tensor.dtype else 0, dtype=tensor.dtype) for tensor in model.inputs]
    return inputs if len(inputs) > 1 else inputs[0]


def builders():
    """(name, function returning a model) for every folder's builder, in the settings worth checking."""
    from ann.model import build_model as ann
    from attention.model import build_model as attention
    from autoencoder.model import build_model as autoencoder
    from birnn.model import build_model as birnn
    from cnn.model import build_model as cnn
    from deep_rnn.model import build_model as deep_rnn
    from gan.model import build_model as gan
    from gru.model import build_model as gru
    from lstm.model import build_model as lstm
    from rnn.model import build_model as rnn

    cases = {"ann": lambda: ann(input_dim=4, task="classification", num_classes=3, hidden_units=(5,)),
             "ann-regression": lambda: ann(input_dim=4, task="regression", hidden_units=(5,))}
    for arch in ("basic", "deep", "alexnet", "resnet"):
        cases[f"cnn-{arch}"] = lambda arch=arch: cnn((8, 8, 1), 10, arch=arch, blocks=1, filters=4, augment=True)
    cases |= {
        "rnn-many-to-many": lambda: rnn(task="regression", units=4, input_shape=(6, 1), many_to_many=True),
        "rnn-truncated": lambda: rnn(task="regression", units=4, input_shape=(6, 1), truncate=3),
        "lstm-text": lambda: lstm(task="generation", units=4, vocab_size=7, num_classes=7),
        "gru-binary": lambda: gru(task="classification", units=4, input_shape=(6, 1), num_classes=2),
        "deep_rnn-residual": lambda: deep_rnn(task="regression", units=4, num_layers=2, residual=True,
                                              input_shape=(6, 1), many_to_many=True),
        "birnn-tagging": lambda: birnn(task="classification", units=4, input_shape=(6, 1), num_classes=3,
                                       many_to_many=True),
    }
    for kind in ("none", "bahdanau", "luong-concat"):
        cases[f"attention-{kind}"] = lambda kind=kind: attention(9, 8, target_length=4, attention=kind, units=4,
                                                                 embedding_dim=3)
    for arch in ("dense", "conv", "denoising", "vae"):
        cases[f"autoencoder-{arch}"] = lambda arch=arch: autoencoder((8, 8, 1), arch=arch, code_size=2,
                                                                     hidden_units=(6,), filters=(2, 4))
    cases["gan-generator"] = lambda: gan((8, 8, 1), latent_dim=3, num_classes=10).generator
    cases["gan-discriminator"] = lambda: gan((8, 8, 1), latent_dim=3, num_classes=10).discriminator
    return cases


BUILDERS = builders()


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_model_built_under_mixed_precision_ends_in_float32(name):
    with mixed_precision_scope(True):
        model = BUILDERS[name]()
    assert keras.mixed_precision.global_policy().name == "float32"
    assert "float16" in {layer.compute_dtype for layer in model.layers}
    assert {weight.dtype for weight in model.weights} == {"float32"}
    outputs = model(inputs_for(model), training=True)  # training: the VAE samples, the denoiser adds noise
    for output in keras.tree.flatten(outputs):
        assert keras.backend.standardize_dtype(output.dtype) == "float32"
        assert np.all(np.isfinite(keras.ops.convert_to_numpy(output)))


def test_compile_scales_the_loss_of_a_mixed_precision_model():
    from ann.model import build_model

    with mixed_precision_scope(True):
        model = build_model(input_dim=4, task="classification", num_classes=3, hidden_units=(5,))
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy")
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    model = build_model(input_dim=4, task="classification", num_classes=3, hidden_units=(5,))
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy")
    assert not isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)  # float32: the optimizer as given


def test_the_gan_takes_the_compile_settings_and_scales_both_losses(monkeypatch):
    from gan.model import build_model

    scaled = []
    scale_loss = keras.optimizers.LossScaleOptimizer.scale_loss
    monkeypatch.setattr(keras.optimizers.LossScaleOptimizer, "scale_loss",
                        lambda self, loss: scaled.append(self.name) or scale_loss(self, loss))
    keras.utils.set_random_seed(0)
    with mixed_precision_scope(True):
        gan = build_model((8, 8, 1), latent_dim=3)
    before = [keras.ops.convert_to_numpy(weight) for weight in gan.discriminator.weights]
    gan.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1),
                loss_fn=keras.losses.BinaryCrossentropy(from_logits=True), jit_compile=True, steps_per_execution=2)
    assert (gan.jit_compile, gan.steps_per_execution) == (True, 2)
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    # XLA takes seconds to compile the GAN's step: this test trains without it (`python -m gan.train --quick
    # --jit-compile` trains with it).
    gan.jit_compile = False
    images = np.random.default_rng(0).uniform(-1, 1, (32, 8, 8, 1)).astype("float32")
    history = gan.fit(images, epochs=1, batch_size=8, verbose=0)
    assert set(scaled) == {"d_loss_scale_optimizer", "g_loss_scale_optimizer"}  # each loss by its own optimizer
    assert all(np.isfinite(values[-1]) for values in history.history.values())
    assert int(gan.d_optimizer.iterations) == 4  # four batches, every step taken (no overflow skipped one)
    after = [keras.ops.convert_to_numpy(weight) for weight in gan.discriminator.weights]
    assert any(not np.array_equal(old, new) for old, new in zip(before, after))


# ---------------------------------------------------------------------------------------------------------------
# --tensorboard, and a bad --steps-per-execution


def test_tensorboard_logs_land_in_the_run_folder(tmp_path, run_main, compile_calls):
    _, run_dir, out = quick_run(run_main, "ann.train", ["--tensorboard"], tmp_path)
    for part in ("train", "validation"):
        assert list((run_dir / "tensorboard" / part).glob("events.out.tfevents.*"))
    assert any(f"tensorboard --logdir {run_dir / 'tensorboard'}" in line for line in out)
    assert out[-1].startswith("test_accuracy=")  # the summary line stays the last one
    # The other three flags are off: compile gets Keras' plain settings ("auto", resolved by Keras: no XLA on a CPU
    # alone), and every layer computes in float32.
    assert compile_calls == [("auto", 1)]
    assert compile_settings(run_dir) == {}  # ann/'s end-to-end inference model: not compiled
    model = keras.saving.load_model(run_dir / "model.keras", compile=False)
    layers = [*model.layers, *model.get_layer("mlp").layers]
    assert {layer.dtype_policy.name for layer in layers} == {"float32"}


@pytest.mark.parametrize("module", ["ann.train", "lstm.train", "gan.train"])
def test_steps_per_execution_below_1_is_bad_input(module, assert_bad_input):
    assert_bad_input(importlib.import_module(module).main, ["--steps-per-execution", "0"],
                     "--steps-per-execution must be at least 1 (got 0)")
