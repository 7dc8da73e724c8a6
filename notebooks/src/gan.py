"""The source of notebooks/gan.ipynb (jupytext percent format): python -m notebooks.build writes the notebook."""

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
# check that everything works (the samples are noise by then). `QUICK = False` is the real run of `python -m
# gan.train`: an unconditional DCGAN draws `mnist5k` digits, 40 epochs, three to four minutes of training on 2 CPU
# cores, plus about a minute to train the digit classifier that scores the samples (once; it is cached).
#
# The GAN's training step is written with `tf.GradientTape`: this notebook needs the TensorFlow backend.

# %% tags=["parameters"]
QUICK = False  # True: seconds on a small slice, two epochs (--quick)
OUTPUT_DIR = REPO_ROOT / "runs"  # each run writes a new folder under OUTPUT_DIR/gan/, as python -m gan.train does

# %%
from common.flags import format_config
from common.console import quiet_tensorflow, setup_logging
from gan.train import GanConfig

# Every flag of python -m gan.train is a field here: --conditional is GanConfig(conditional=True, ...). A value
# that cannot work raises ValueError at once.
config = GanConfig(quick=QUICK, output_dir=str(OUTPUT_DIR))
setup_logging(config.verbose)  # the helpers' lines (data sizes, scores beside the baselines) print below the cells
print(format_config(config))

# %%
quiet_tensorflow(config.verbose)  # TensorFlow's C++ start-up notices stay out of the notebook
import time

import keras

from common.runs import start_run
from common.training import EpochTimer, quick_settings
from gan.dataset import load_dataset
from gan.evaluation import FidMonitor, evaluate_generator, load_or_train_scorer
from gan.model import build_model
from gan.train import finish_gan_run, make_gan_optimizer
from gan.visualize import SampleGrid
from notebooks.pictures import show_pictures

# common/plots.py chose matplotlib's file-only backend for the scripts; pictures are drawn in the notebook again.
# %matplotlib inline

# %% [markdown]
# ## Data, and the classifier that scores the samples
#
# `gan/dataset.py` loads the images `config.dataset` names, (n, height, width, 1) with pixels in -1..1 (the range of
# the generator's last activation, tanh). A GAN has no test loss to report, so its samples are scored by a digit
# classifier trained on the training split: the Fréchet distance between its features of generated and of real
# digits (fid), and how the samples spread over the ten digits. The classifier is trained once per data set and
# cached beside the runs; it sets its own seed, so it comes before this run's seeding.

# %%
dataset = load_dataset(config)
dataset, epochs = quick_settings(config, dataset)  # QUICK: the first examples of each split, at most two epochs
scorer, scorer_info = load_or_train_scorer(dataset, config.output_dir, config.quick)
keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same settings, same numbers
print("x_train", dataset.x_train.shape, "pixels from", dataset.x_train.min(), "to", dataset.x_train.max())
print("scorer:", scorer_info)

# %% [markdown]
# ## Model: two networks in one `keras.Model`
#
# `build_model` in `gan/model.py` builds the generator (noise z of `latent_dim` numbers -> an image) and the
# discriminator (an image -> one logit, "real" above 0), and the `GAN` model whose `train_step` plays one round of
# the game per batch: first D, then G.

# %%
num_classes = dataset.num_classes if config.conditional else 0
gan = build_model(dataset.input_shape, config.latent_dim, num_classes, config.label_smoothing)
gan.generator.summary()
gan.discriminator.summary()

# %% [markdown]
# ## Compile: two optimizers, one loss
#
# Each player has its own optimizer (Adam with `beta_1 = 0.5`, DCGAN's recipe: each player's target moves at every
# step, and a long memory of old gradients makes the pair overshoot) and both use binary cross-entropy on D's
# logits: real 1, generated 0 for D, and generated 1 for G (the non-saturating loss).

# %%
gan.compile(d_optimizer=make_gan_optimizer(config), g_optimizer=make_gan_optimizer(config),
            loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))

# %% [markdown]
# ## Fit
#
# D then G on every batch; there is no validation data. After each epoch `FidMonitor` scores samples of a fixed noise
# against the validation split (`val_fid` in the epoch's line) and `SampleGrid` draws them. With `patience` > 0
# training stops when `val_fid` stops improving and keeps the best epoch's networks.

# %%
run_dir = start_run(config, f"gan/{'conditional' if config.conditional else 'dcgan'}", dataset.name, gan)
grid = SampleGrid(config.latent_dim, config.conditional, run_dir / "plots", dataset.num_classes)
callbacks = [EpochTimer(), FidMonitor(scorer, dataset, config.latent_dim, config.conditional), grid,
             keras.callbacks.CSVLogger(str(run_dir / "history.csv")), keras.callbacks.TerminateOnNaN()]
if config.patience:
    callbacks.append(keras.callbacks.EarlyStopping(monitor="val_fid", mode="min", patience=config.patience,
                                                   restore_best_weights=True))
start = time.perf_counter()
history = gan.fit(dataset.x_train, dataset.y_train if config.conditional else None, epochs=epochs,
                  batch_size=config.batch_size, callbacks=callbacks, verbose=2)
train_seconds = time.perf_counter() - start

# %% [markdown]
# ## Evaluate on the test split, beside the anchors
#
# The generator's fid against the test digits beside three anchors: real digits (the validation split, about as good
# as it gets), random noise and the mean image (how bad it gets); the smallest share of any digit among the samples
# (near 0: mode collapse) and the classifier's confidence.

# %%
evaluation = evaluate_generator(gan.generator, dataset, scorer, config.latent_dim, config.conditional, run_dir)
grid.draw(gan.generator, run_dir / "plots" / "samples.png", f"after {len(history.epoch)} epochs")
result = finish_gan_run(run_dir, gan, history, evaluation, dataset, train_seconds, scorer_info)
print(result["summary"])

# %% [markdown]
# ## The pictures of the run
#
# The samples after the first epoch and after the last (the same noise in both), the two players' curves, and how
# the samples spread over the ten digits.

# %%
figures = show_pictures(run_dir, "samples_epoch_001.png", "samples.png", "learning_curves.png", "class_spread.png")

# %% [markdown]
# ## What to expect
#
# <!-- README: What to expect -->

# %% [markdown]
# ## Try next
#
# In this notebook a flag is a field of the settings cell: `python -m gan.train --conditional` is
# `GanConfig(quick=QUICK, output_dir=str(OUTPUT_DIR), conditional=True)`; change it and run the cells below it again.
# The README's exercises:
#
# <!-- README: Try next -->
