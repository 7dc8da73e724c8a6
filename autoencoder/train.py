"""Train an autoencoder on digit images, score its reconstructions beside PCA, and save a run folder.

    python -m autoencoder.train                               # mnist5k, offline: the convolutional autoencoder
    python -m autoencoder.train --arch dense --code-size 2    # a 2-number code you can plot as it is
    python -m autoencoder.train --arch denoising --noise 0.3  # learn to clean noisy digits
    python -m autoencoder.train --arch vae                    # variational: a code you can sample new digits from
    python -m autoencoder.train --task anomaly                # never see a 2, then find the 2s by their error
    python -m autoencoder.train --quick                       # a few seconds, to check that everything works
"""

import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a file (python autoencoder/train.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autoencoder.dataset import DATASETS, TEST_NOISE_SEED, VAL_NOISE_SEED, check_code_size, load_dataset, noisy_copy
from common.config import TrainConfig
from common.flags import exit_on_bad_input, format_config, option, parse_config, require
from common.console import quiet_tensorflow, setup_logging

ARCHITECTURES = ("dense", "conv", "denoising", "vae")  # model.py's names; it loads only after the flags are checked
TASKS = ("reconstruction", "anomaly")


@dataclasses.dataclass
class AutoencoderConfig(TrainConfig):
    # Shared fields keep their meaning here and change only their default. Batch 32 at learning rate 0.003 was
    # chosen by validation mse over five epochs of the conv autoencoder: it left the mean-image plateau at once,
    # where batch 64 at 0.001 was still on it after three epochs. Not tuned further (see README, "Try next").
    dataset: str = option("mnist5k", "dataset", choices=tuple(DATASETS))
    epochs: int = option(20, "maximum number of passes over the training data (early stopping may end sooner)")
    batch_size: int = option(32, "examples per gradient step")
    learning_rate: float = option(3e-3, "optimizer step size")
    patience: int = option(5, "epochs without validation improvement before stopping early")
    reduce_lr_patience: int = option(2, "halve the learning rate after this many epochs without validation "
                                        "improvement (0: keep it fixed)")
    arch: str = option("conv", "architecture (see autoencoder/README.md)", choices=ARCHITECTURES)
    code_size: int = option(32, "numbers in the code each image is squeezed into (2 can be plotted as it is)")
    noise: float = option(0.3, "standard deviation of the Gaussian noise added to the inputs of --arch denoising "
                               "(pixels run from 0 to 1)")
    beta: float = option(1.0, "weight of the KL term in the loss of --arch vae (1: the ELBO; above 1: a beta-VAE)")
    task: str = option("reconstruction", "reconstruction: rebuild every digit; anomaly: train without "
                                         "--anomaly-class, then find it among the test digits by reconstruction "
                                         "error", choices=TASKS)
    # 2 by default: on mnist5k's validation split PCA-32's reconstruction error finds 2s best of all ten digits
    # (ROC-AUC 0.88) while the distance to the mean image does not (0.69), so the score has something to learn.
    # 0s are found better by the distance to the mean image (0.91: they carry the most ink), and 1s by nothing
    # (0.26: a 1 is a stroke that every other digit contains); "Try next" in the README runs both.
    anomaly_class: int = option(2, "the digit held out as the anomaly with --task anomaly")

    def validate(self) -> None:
        super().validate()
        require(1 <= self.code_size <= 1024, f"--code-size must be between 1 and 1024 (got {self.code_size})")
        require(0.0 <= self.noise < 1.0, f"--noise must be at least 0 and below 1 (got {self.noise})")
        require(self.arch != "denoising" or self.noise > 0,
                "--arch denoising needs some noise to remove: --noise must be above 0")
        require(self.beta >= 0, f"--beta must be 0 or more (got {self.beta})")
        require(0 <= self.anomaly_class <= 9,
                f"--anomaly-class must be a digit from 0 to 9 (got {self.anomaly_class})")


def main(argv: list[str] | None = None) -> dict:
    config = parse_config(AutoencoderConfig, argv, description=__doc__)
    setup_logging(config.verbose)
    print(format_config(config))

    # TensorFlow loads only now, after the flags were checked, so that a mistyped flag is answered at once.
    quiet_tensorflow(config.verbose)
    import keras

    from autoencoder.evaluation import evaluate_anomaly, evaluate_reconstruction
    from autoencoder.model import build_model, encode, end_to_end
    from autoencoder.visualize import plot_latent_space, plot_latent_sweep
    from common.distribute import make_strategy
    from common.inputs import describe_inputs
    from common.runs import finish_run, start_run
    from common.training import (make_callbacks, make_optimizer, mixed_precision_scope, progress_verbosity,
                                 quick_settings)

    strategy = make_strategy(config.distribute)  # --distribute: made before any TensorFlow operation runs

    # ---- Data: images (n, height, width, 1) in 0..1; the labels only colour the pictures and mark the anomalies
    with exit_on_bad_input():
        dataset = load_dataset(config)
    keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same command, same numbers
    dataset, epochs = quick_settings(config, dataset)
    with exit_on_bad_input():
        check_code_size(config.code_size, dataset)
    # The denoiser reads noisy copies of the validation and test images, made once with fixed seeds; its training
    # images get fresh noise from the model's own noise layer at every step. The other models read the images.
    noise = config.noise if config.arch == "denoising" else 0.0
    x_val_input = noisy_copy(dataset.x_val, noise, VAL_NOISE_SEED) if noise else dataset.x_val
    x_test_input = noisy_copy(dataset.x_test, noise, TEST_NOISE_SEED) if noise else dataset.x_test

    # ---- Model: encoder -> code -> decoder, and the loss that compares the output with the clean image
    num_pixels = int(np.prod(dataset.input_shape))
    # The VAE's KL term is divided by the number of pixels, like its reconstruction term (a mean over pixels), so
    # the loss is the negative ELBO per pixel: the same objective, on the scale of the other models' losses.
    with strategy.scope():  # --distribute: variables made here are mirrored on every replica
        with mixed_precision_scope(config.mixed_precision):  # --mixed-precision: float16 maths, float32 weights
            model = build_model(dataset.input_shape, arch=config.arch, code_size=config.code_size,
                                noise_stddev=noise, kl_weight=config.beta / num_pixels)
        if config.arch == "vae":
            # -log p(x | z) for a decoder that gives each pixel a probability of being white (a Bernoulli):
            # binary cross-entropy. The KL term is added by the model's KLDivergence layer; "reconstruction"
            # tracks this part.
            loss = keras.losses.BinaryCrossentropy()
            metrics = [keras.metrics.BinaryCrossentropy(name="reconstruction"),
                       keras.metrics.MeanSquaredError(name="mse")]
        else:
            loss, metrics = keras.losses.MeanSquaredError(), [keras.metrics.MeanSquaredError(name="mse")]
        model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm),
                      loss=loss, metrics=metrics,
                      jit_compile=config.jit_compile or "auto", steps_per_execution=config.steps_per_execution)

    # ---- Training: the target is the (clean) input itself; early stopping keeps the best epoch's weights
    run_dir = start_run(config, f"autoencoder/{config.arch}", dataset.name, model)
    start = time.perf_counter()
    history = model.fit(dataset.x_train, dataset.x_train, validation_data=(x_val_input, dataset.x_val),
                        epochs=epochs, batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                        verbose=progress_verbosity())
    train_seconds = time.perf_counter() - start

    # ---- Evaluation: the test split beside PCA with as many components as the code, and pictures of the codes
    if config.task == "anomaly":
        evaluation = evaluate_anomaly(model, dataset, run_dir, config.code_size)
        x_test_input = dataset.x_test  # anomalies are scored on the clean test images, whatever the architecture
    else:
        evaluation = evaluate_reconstruction(model, dataset, run_dir, config.code_size, x_val_input, x_test_input)
    codes = encode(model, x_test_input)  # (n, code_size); the VAE's z_mean
    plot_latent_space(codes, dataset.y_test, run_dir / "plots" / "latent_space.png")
    if config.arch == "vae":
        plot_latent_sweep(model.get_layer("decoder"), codes, run_dir / "plots" / "latent_sweep.png")
    # ---- Saved: model.keras reads raw pixels (0..255, or 0..16) and answers in them; inputs.json says so, with the
    # first raw test images
    pixel_max = dataset.meta["pixel_max"]
    inputs = describe_inputs(dataset, dataset.x_test[:16] * pixel_max, kind="reconstruction", raw=True)
    result = finish_run(run_dir, end_to_end(model, pixel_max), history, evaluation, dataset, train_seconds, inputs)
    print(result["summary"])
    return result


if __name__ == "__main__":
    main()
