"""The source of notebooks/birnn.ipynb (jupytext percent format): python -m notebooks.build writes the notebook."""

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
# check that everything works. `QUICK = False` is the real run of `python -m birnn.train --compare`: a bidirectional
# GRU tags every step of the generated sequences (about 36 s of training on 2 CPU cores), then its forward-only twin
# learns the same task (about 24 s), so that the two can be laid side by side.

# %% tags=["parameters"]
QUICK = False  # True: seconds on a small slice, two epochs (--quick)
OUTPUT_DIR = REPO_ROOT / "runs"  # each run writes a new folder under OUTPUT_DIR/birnn/, as python -m birnn.train does

# %%
# <<< train.py: imports
from notebooks.pictures import show_pictures

# %% [markdown]
# ## The settings, and TensorFlow
#
# The cells from here on are `birnn/train.py`'s `main()` as it is, section by section: the build copies them, so they
# cannot drift from the script. One line differs: the flags become the settings `config = BirnnConfig(quick=QUICK,
# output_dir=str(OUTPUT_DIR))`, where every flag is a field ("Try next" below shows one). TensorFlow loads after them,
# as in the script.

# %%
# <<< train.py: Setup compare=True

# %% [markdown]
# ## Data
#
# `birnn/dataset.py` loads the data set `config.dataset` names. For `tagging`: 5,000 generated sequences of 20 values
# (n, 20, 1), each step tagged by how many of its two neighbours it is larger than (y: (n, 20), three tags). Half of
# the time the tag depends on the *next* value, which a network reading left to right has not seen yet.

# %%
# <<< train.py: Data

# main() hands the data to train_model (birnn/train.py), whose sections follow, for the model
# config.bidirectional asks for:
bidirectional = config.bidirectional
# <<< train.py train_model: Setup

# %% [markdown]
# ## Model and compile
#
# `build_model` in `birnn/model.py`: `Bidirectional(GRU)` reads the sequence both ways and merges the two states at
# every step (`concat`: 2 x 32 numbers), and a softmax over the three tags follows at every step. The tagging task
# has a label per step, so the model is many-to-many.
#
# Cross-entropy over the tags, at every step (`common/tasks.py` chooses the loss from the data).

# %%
# <<< train.py train_model: Model
model.summary()

# %% [markdown]
# ## Fit
#
# One line per epoch. Early stopping watches the validation loss and restores the best epoch's weights. Interrupting
# the kernel while it trains ends training after the current batch; the cells below then score the best weights.

# %%
# <<< train.py train_model: Training

# %% [markdown]
# ## Evaluate on the test split, beside the baselines
#
# Every step of every test sequence counts: accuracy and macro precision, recall and F1 beside the majority tag.

# %%
# <<< train.py train_model: Evaluation
print(result["summary"])

# %% [markdown]
# ## The forward-only twin
#
# The same cell, units, data, seed and epochs, reading left to right only (`bidirectional=False`): whatever it loses
# is what the backward direction brought. Its run folder goes under `birnn/forward_only/`.

# %%
if config.compare:  # train_model, the function the cells above unrolled, now reading left to right only
    forward = train_model(config, full_dataset, bidirectional=False, strategy=strategy)
    forward_dir = Path(forward["run_dir"])
    print(f"forward-only:  {forward['summary']}")
    print(f"bidirectional: {result['summary']}")

# %% [markdown]
# ## The pictures of the run
#
# The bidirectional model's learning curves and confusion matrix, then the forward-only model's: without the next
# value it confuses neighbouring tags far more often.

# %%
# common/plots.py chose matplotlib's file-only backend for the scripts; pictures are drawn in the notebook again.
# %matplotlib inline
figures = show_pictures(run_dir, "learning_curves.png", "confusion_matrix.png")
if config.compare:
    figures += show_pictures(forward_dir, "learning_curves.png", "confusion_matrix.png")

# %% [markdown]
# ## What to expect
#
# <!-- README: What to expect -->

# %% [markdown]
# ## Try next
#
# In this notebook a flag is a field of the settings cell: `python -m birnn.train --merge-mode sum --cell lstm` is
# `BirnnConfig(quick=QUICK, output_dir=str(OUTPUT_DIR), compare=True, merge_mode="sum", cell="lstm")`; change it and
# run the cells below it again. The README's exercises:
#
# <!-- README: Try next -->
