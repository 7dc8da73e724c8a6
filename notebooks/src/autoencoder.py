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
# <<< train.py: imports
from notebooks.pictures import show_pictures

# %% [markdown]
# ## The settings, and TensorFlow
#
# The cells from here on are `autoencoder/train.py`'s `main()` as it is, section by section: the build copies them, so
# they cannot drift from the script. One line differs: the flags become the settings `config =
# AutoencoderConfig(quick=QUICK, output_dir=str(OUTPUT_DIR))`, where every flag is a field ("Try next" below shows
# one). TensorFlow loads after them, as in the script.

# %%
# <<< train.py: Setup

# %% [markdown]
# ## Data
#
# `autoencoder/dataset.py` loads the images `config.dataset` names, (n, height, width, 1) in 0..1. The labels are
# kept aside: they only colour the pictures and, for anomaly detection, say which test digits are the held-out one.
# The denoiser reads noisy copies of the validation and test images, made once with fixed seeds, so that every run is
# scored on the very same noisy images.

# %%
# <<< train.py: Data

# %% [markdown]
# ## Model and compile: the output against the clean image
#
# `build_model` in `autoencoder/model.py`: an encoder (convolutions down to a code of `code_size` numbers), and a
# decoder that mirrors it back up to an image. The VAE's encoder gives a mean and a log-variance instead, and its
# `KLDivergence` layer adds the KL term to the loss; the denoiser adds fresh noise to its inputs while it trains.
#
# Mean squared error over the pixels; for the VAE, binary cross-entropy (-log p(x | z) for a decoder that gives every
# pixel a probability of being white), tracked as "reconstruction", with the mean squared error beside it.

# %%
# <<< train.py: Model
model.summary()

# %% [markdown]
# ## Fit: the target is the input itself
#
# `model.fit(x_train, x_train, ...)`: no labels. Early stopping watches the validation loss and restores the best
# epoch's weights; interrupting the kernel while it trains ends training after the current batch.

# %%
# <<< train.py: Training

# %% [markdown]
# ## Evaluate on the test split, beside PCA
#
# The reconstruction error of the test images beside PCA with as many components as the code (the best a linear
# autoencoder can do) and beside the mean image; for anomaly detection, the ROC-AUC of finding the held-out digit by
# its error. Then the codes of the test images, drawn in two dimensions and coloured by digit. The model saved as
# `model.keras` is the network between two rescalings (`end_to_end`): it reads raw pixels, 0 to 255, and answers in
# them.

# %%
# <<< train.py: Evaluation
# <<< train.py: Saved

# %% [markdown]
# ## The pictures of the run
#
# Every picture the run saved: the learning curves, the test digits beside their reconstructions (and PCA's), the
# codes in two dimensions, and for the VAE the digits decoded along a line through its code space.

# %%
# common/plots.py chose matplotlib's file-only backend for the scripts; pictures are drawn in the notebook again.
# %matplotlib inline
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
