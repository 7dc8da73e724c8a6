"""The source of notebooks/rnn.ipynb (jupytext percent format): python -m notebooks.build writes the notebook."""

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
# check that everything works. `QUICK = False` is the real run of `python -m rnn.train`: the next value of a noisy
# sine from the last 20, about 8 s of training on 2 CPU cores.

# %% tags=["parameters"]
QUICK = False  # True: seconds on a small slice, two epochs (--quick)
OUTPUT_DIR = REPO_ROOT / "runs"  # each run writes a new folder under OUTPUT_DIR/rnn/, as python -m rnn.train does

# %%
# <<< train.py: imports
from notebooks.pictures import show_pictures

# %% [markdown]
# ## The settings, and TensorFlow
#
# The cells from here on are `rnn/train.py`'s `main()` as it is, section by section: the build copies them, so they
# cannot drift from the script. One line differs: the flags become the settings `config = RnnConfig(quick=QUICK,
# output_dir=str(OUTPUT_DIR))`, where every flag is a field ("Try next" below shows one). TensorFlow loads after them,
# as in the script.

# %%
# <<< train.py: Setup

# %% [markdown]
# ## Data
#
# `rnn/dataset.py` loads the data set `config.dataset` names. For `sine`: windows (n, 20, 1) of a noisy sine,
# each with the value that follows it, split in time order (the test part is the end of the series, never shuffled
# into training) and scaled with the training part's statistics.

# %%
# <<< train.py: Data

# %% [markdown]
# ## Model and compile
#
# `build_model` in `rnn/model.py`: `SimpleRNN` layers, then a `Dense` output on the last state (at every step for
# many-to-many and text). With `truncate` > 0 the window is read in chunks and the gradient stops at each chunk's
# start (truncated backpropagation through time).
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
# A forecast is scored in the series' own units beside the naive forecasts: persistence (tomorrow is today), the
# noise floor (the clean sine itself, the best any forecast of noisy values can do) and the training mean.

# %%
# <<< train.py: Evaluation

# %% [markdown]
# ## The pictures of the run
#
# Every picture the run saved: the forecast against the series (for a forecast) and the learning curves.

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
# In this notebook a flag is a field of the settings cell: `python -m rnn.train --dataset adding --sequence-length
# 100` is `RnnConfig(quick=QUICK, output_dir=str(OUTPUT_DIR), dataset="adding", sequence_length=100)`; change it
# and run the cells below it again. The README's exercises:
#
# <!-- README: Try next -->
