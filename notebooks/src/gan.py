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
# <<< train.py: imports
from notebooks.pictures import show_pictures

# %% [markdown]
# ## The settings, and TensorFlow
#
# The cells from here on are `gan/train.py`'s `main()` as it is, section by section: the build copies them, so they
# cannot drift from the script. One line differs: the flags become the settings `config = GanConfig(quick=QUICK,
# output_dir=str(OUTPUT_DIR))`, where every flag is a field ("Try next" below shows one). TensorFlow loads after them,
# as in the script.

# %%
# <<< train.py: Setup

# %% [markdown]
# ## Data, and the classifier that scores the samples
#
# `gan/dataset.py` loads the images `config.dataset` names, (n, height, width, 1) with pixels in -1..1 (the range of
# the generator's last activation, tanh). A GAN has no test loss to report, so its samples are scored by a digit
# classifier trained on the training split: the Fréchet distance between its features of generated and of real
# digits (fid), and how the samples spread over the ten digits. The classifier is trained once per data set and
# cached beside the runs; it sets its own seed, so it comes before this run's seeding.

# %%
# <<< train.py: Data

# %% [markdown]
# ## Model and compile: two networks in one `keras.Model`, two optimizers, one loss
#
# `build_model` in `gan/model.py` builds the generator (noise z of `latent_dim` numbers -> an image) and the
# discriminator (an image -> one logit, "real" above 0), and the `GAN` model whose `train_step` plays one round of
# the game per batch: first D, then G.
#
# Each player has its own optimizer (Adam with `beta_1 = 0.5`, DCGAN's recipe: each player's target moves at every
# step, and a long memory of old gradients makes the pair overshoot) and both use binary cross-entropy on D's
# logits: real 1, generated 0 for D, and generated 1 for G (the non-saturating loss).

# %%
# <<< train.py: Model

# %% [markdown]
# ## Fit
#
# D then G on every batch; there is no validation data. After each epoch `FidMonitor` scores samples of a fixed noise
# against the validation split (`val_fid` in the epoch's line) and `SampleGrid` draws them. With `patience` > 0
# training stops when `val_fid` stops improving and keeps the best epoch's networks.

# %%
# <<< train.py: Training

# %% [markdown]
# ## Evaluate on the test split, beside the anchors
#
# The generator's fid against the test digits beside three anchors: real digits (the validation split, about as good
# as it gets), random noise and the mean image (how bad it gets); the smallest share of any digit among the samples
# (near 0: mode collapse) and the classifier's confidence.

# %%
# <<< train.py: Evaluation
# <<< train.py: Saved

# %% [markdown]
# ## The pictures of the run
#
# The samples after the first epoch and after the last (the same noise in both), the two players' curves, and how
# the samples spread over the ten digits.

# %%
# common/plots.py chose matplotlib's file-only backend for the scripts; pictures are drawn in the notebook again.
# %matplotlib inline
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
