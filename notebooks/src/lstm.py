"""The source of notebooks/lstm.ipynb (jupytext percent format): python -m notebooks.build writes the notebook."""

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
# check that everything works. `QUICK = False` is the real run of `python -m lstm.train`: next month's airline
# passengers, about 5 s of training on 2 CPU cores.

# %% tags=["parameters"]
QUICK = False  # True: seconds on a small slice, two epochs (--quick)
OUTPUT_DIR = REPO_ROOT / "runs"  # each run writes a new folder under OUTPUT_DIR/lstm/, as python -m lstm.train does

# %%
# <<< train.py: imports
from notebooks.pictures import show_pictures

# %% [markdown]
# ## The settings, and TensorFlow
#
# The cells from here on are `lstm/train.py`'s `main()` as it is, section by section: the build copies them, so they
# cannot drift from the script. One line differs: the flags become the settings `config = LstmConfig(quick=QUICK,
# output_dir=str(OUTPUT_DIR))`, where every flag is a field ("Try next" below shows one). TensorFlow loads after them,
# as in the script.

# %%
# <<< train.py: Setup

# %% [markdown]
# ## Data
#
# `lstm/dataset.py` loads the data set `config.dataset` names. For `airline`: the monthly passengers of
# `data/airline_passengers.csv`, modelled as their seasonal log growth (each month against the same month a year
# earlier), read three months at a time (n, 3, 1), split in time order (the test part is the last third of the
# series) and scaled with the training part's statistics only.

# %%
# <<< train.py: Data
print("x_train", dataset.x_train.shape, "y_train", dataset.y_train.shape)

# %% [markdown]
# ## Model and compile
#
# `build_model` in `lstm/model.py`: `LSTM` layers, then a `Dense` output on the last state (at every step for
# many-to-many and text). Laid beside `rnn/model.py` and `gru/model.py`, only the cell differs. The loss follows the
# data (`common/tasks.py`): mean squared error for a value, cross-entropy over the classes for a label, and over the
# characters at every step for text.

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
# The forecasts are turned back into passengers and scored beside persistence (next month is this month), the
# seasonal naive forecast (next month is the same month last year), the seasonal ARIMA "airline model" a statistician
# would fit first (statsmodels), and the training mean. The run folder's `model.keras` reads the months themselves:
# the transform and the scaling are layers inside it (`end_to_end`, `common/forecast_model.py`).

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
# In this notebook a flag is a field of the settings cell: `python -m lstm.train --transform none --window 12` is
# `LstmConfig(quick=QUICK, output_dir=str(OUTPUT_DIR), transform="none", window=12)`; change it and run the cells
# below it again. The README's exercises:
#
# <!-- README: Try next -->
