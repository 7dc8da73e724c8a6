"""The source of notebooks/gru.ipynb (jupytext percent format): python -m notebooks.build writes the notebook."""

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
# check that everything works. `QUICK = False` is the real run of `python -m gru.train`: a 256-unit GRU that learns
# to write Python's help texts one character at a time, six epochs, about two minutes of training on 2 CPU cores.

# %% tags=["parameters"]
QUICK = False  # True: seconds on a small slice, two epochs (--quick)
OUTPUT_DIR = REPO_ROOT / "runs"  # each run writes a new folder under OUTPUT_DIR/gru/, as python -m gru.train does

# %%
# <<< train.py: imports
from notebooks.pictures import show_pictures

# %% [markdown]
# ## The settings, and TensorFlow
#
# The cells from here on are `gru/train.py`'s `main()` as it is, section by section: the build copies them, so they
# cannot drift from the script. One line differs: the flags become the settings `config = GruConfig(quick=QUICK,
# output_dir=str(OUTPUT_DIR))`, where every flag is a field ("Try next" below shows one). TensorFlow loads after them,
# as in the script.

# %%
# <<< train.py: Setup

# %% [markdown]
# ## Data
#
# `gru/dataset.py` loads the data set `config.dataset` names. For `text`: the help-topic texts that ship with every
# Python (`python-docs`, from `pydoc_data`), as character ids cut into windows of 100: x (n, 100) and y the same
# characters shifted by one, the next character at every position. The last tenth of the text is the test part, the
# tenth before it validation.

# %%
# <<< train.py: Data

# %% [markdown]
# ## Model and compile
#
# `build_model` in `gru/model.py`: an `Embedding` turns each character id into a vector, `GRU` layers read them, and
# a softmax over the characters follows at every step. Laid beside `rnn/model.py` and `lstm/model.py`, only the cell
# differs.
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
# Bits per character on the test text beside a unigram model that knows only how often each character occurs, then
# text sampled after the prompt at each temperature (`samples.txt`): low temperatures repeat the likeliest phrases,
# high ones invent.

# %%
# <<< train.py: Evaluation

# %% [markdown]
# ## The pictures of the run
#
# Every picture the run saved: the learning curves (and the forecast against the series, for a forecast).

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
# In this notebook a flag is a field of the settings cell: `python -m gru.train --layers 2 --units 128` is
# `GruConfig(quick=QUICK, output_dir=str(OUTPUT_DIR), layers=2, units=128)`; change it and run the cells below it
# again. The README's exercises:
#
# <!-- README: Try next -->
