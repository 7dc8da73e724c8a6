"""The source of notebooks/autoencoder.ipynb (jupytext percent format): python -m notebooks.build writes it."""

# %% [markdown]
# ## The idea
#
# <!-- README: The idea -->

# %% [markdown]
# ## The picture
#
# <!-- README: The picture -->

# %% [markdown]
# ## The equations
#
# <!-- README: The equations -->

# %% [markdown]
# ## Settings
#
# `QUICK = True` trains on a small slice of the data for two epochs, like the train script's `--quick`: seconds, to
# check that everything works (the reconstructions are still blurred blobs by then). `QUICK = False` is the real run
# of `python -m autoencoder.train`: the convolutional autoencoder squeezes each `mnist5k` digit into 32 numbers, under
# two minutes of training on 2 CPU cores.

# %% tags=["parameters"]
QUICK = False  # True: seconds on a small slice, two epochs (--quick)
OUTPUT_DIR = REPO_ROOT / "runs"  # each run writes a new folder under OUTPUT_DIR/autoencoder/, as the train script

# %%
from autoencoder.train import AutoencoderConfig
from common.flags import format_config
from common.console import quiet_tensorflow, setup_logging

# Every flag of python -m autoencoder.train is a field here: --arch vae is AutoencoderConfig(arch="vae", ...).
# A value that cannot work raises ValueError at once.
config = AutoencoderConfig(quick=QUICK, output_dir=str(OUTPUT_DIR))
setup_logging(config.verbose)  # the helpers' lines (data sizes, scores beside the baselines) print below the cells
print(format_config(config))

# %%
quiet_tensorflow(config.verbose)  # TensorFlow's C++ start-up notices stay out of the notebook
import time

import keras
import numpy as np

from autoencoder.dataset import TEST_NOISE_SEED, VAL_NOISE_SEED, check_code_size, load_dataset, noisy_copy
from autoencoder.evaluation import evaluate_anomaly, evaluate_reconstruction
from autoencoder.model import build_model, encode
from autoencoder.visualize import plot_latent_space, plot_latent_sweep
from common.runs import finish_run, start_run
from common.training import make_callbacks, make_optimizer, quick_settings
from notebooks.pictures import show_pictures

# common/plots.py chose matplotlib's file-only backend for the scripts; pictures are drawn in the notebook again.
# %matplotlib inline

# %% [markdown]
# ## Data
#
# `autoencoder/dataset.py` loads the images `config.dataset` names, (n, height, width, 1) in 0..1. The labels are
# kept aside: they only colour the pictures and, for anomaly detection, say which test digits are the held-out one.
# The denoiser reads noisy copies of the validation and test images, made once with fixed seeds, so that every run is
# scored on the very same noisy images.

# %%
dataset = load_dataset(config)
keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same settings, same numbers
dataset, epochs = quick_settings(config, dataset)  # QUICK: the first examples of each split, at most two epochs
check_code_size(config.code_size, dataset)
noise = config.noise if config.arch == "denoising" else 0.0
x_val_input = noisy_copy(dataset.x_val, noise, VAL_NOISE_SEED) if noise else dataset.x_val
x_test_input = noisy_copy(dataset.x_test, noise, TEST_NOISE_SEED) if noise else dataset.x_test
print("x_train", dataset.x_train.shape, "pixels from", dataset.x_train.min(), "to", dataset.x_train.max())

# %% [markdown]
# ## Model
#
# `build_model` in `autoencoder/model.py`: an encoder (convolutions down to a code of `code_size` numbers), and a
# decoder that mirrors it back up to an image. The VAE's encoder gives a mean and a log-variance instead, and its
# `KLDivergence` layer adds the KL term to the loss; the denoiser adds fresh noise to its inputs while it trains.

# %%
num_pixels = int(np.prod(dataset.input_shape))
# The VAE's KL term is divided by the number of pixels, like its reconstruction term (a mean over pixels): the loss
# is the negative ELBO per pixel, on the scale of the other models' losses.
model = build_model(dataset.input_shape, arch=config.arch, code_size=config.code_size, noise_stddev=noise,
                    kl_weight=config.beta / num_pixels)
model.summary()

# %% [markdown]
# ## Compile: the output against the clean image
#
# Mean squared error over the pixels; for the VAE, binary cross-entropy (-log p(x | z) for a decoder that gives every
# pixel a probability of being white), tracked as "reconstruction", with the mean squared error beside it.

# %%
if config.arch == "vae":
    loss = keras.losses.BinaryCrossentropy()
    metrics = [keras.metrics.BinaryCrossentropy(name="reconstruction"), keras.metrics.MeanSquaredError(name="mse")]
else:
    loss, metrics = keras.losses.MeanSquaredError(), [keras.metrics.MeanSquaredError(name="mse")]
model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm),
              loss=loss, metrics=metrics)

# %% [markdown]
# ## Fit: the target is the input itself
#
# `model.fit(x_train, x_train, ...)`: no labels. Early stopping watches the validation loss and restores the best
# epoch's weights; interrupting the kernel while it trains ends training after the current batch.

# %%
run_dir = start_run(config, f"autoencoder/{config.arch}", dataset.name, model)
start = time.perf_counter()
history = model.fit(dataset.x_train, dataset.x_train, validation_data=(x_val_input, dataset.x_val),
                    epochs=epochs, batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                    verbose=2)
train_seconds = time.perf_counter() - start

# %% [markdown]
# ## Evaluate on the test split, beside PCA
#
# The reconstruction error of the test images beside PCA with as many components as the code (the best a linear
# autoencoder can do) and beside the mean image; for anomaly detection, the ROC-AUC of finding the held-out digit by
# its error. Then the codes of the test images, drawn in two dimensions and coloured by digit.

# %%
if config.task == "anomaly":
    evaluation = evaluate_anomaly(model, dataset, run_dir, config.code_size)
    x_test_input = dataset.x_test  # anomalies are scored on the clean test images, whatever the architecture
else:
    evaluation = evaluate_reconstruction(model, dataset, run_dir, config.code_size, x_val_input, x_test_input)
codes = encode(model, x_test_input)  # (n, code_size); the VAE's z_mean
plot_latent_space(codes, dataset.y_test, run_dir / "plots" / "latent_space.png")
if config.arch == "vae":
    plot_latent_sweep(model.get_layer("decoder"), codes, run_dir / "plots" / "latent_sweep.png")
result = finish_run(run_dir, model, history, evaluation, dataset, train_seconds)
print(result["summary"])

# %% [markdown]
# ## The pictures of the run
#
# Every picture the run saved: the learning curves, the test digits beside their reconstructions (and PCA's), the
# codes in two dimensions, and for the VAE the digits decoded along a line through its code space.

# %%
figures = show_pictures(run_dir, *sorted(path.name for path in (run_dir / "plots").glob("*.png")))

# %% [markdown]
# ## What to expect
#
# <!-- README: What to expect -->

# %% [markdown]
# ## Try next
#
# In this notebook a flag is a field of the settings cell: `python -m autoencoder.train --arch denoising --noise 0.5`
# is `AutoencoderConfig(quick=QUICK, output_dir=str(OUTPUT_DIR), arch="denoising", noise=0.5)`; change it and run the
# cells below it again. The README's exercises:
#
# <!-- README: Try next -->
