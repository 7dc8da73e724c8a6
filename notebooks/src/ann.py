"""The source of notebooks/ann.ipynb (jupytext percent format): python -m notebooks.build writes the notebook."""

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
# check that everything works. `QUICK = False` is the real run of `python -m ann.train` (about 15 s on 2 CPU cores).

# %% tags=["parameters"]
QUICK = False  # True: seconds on a small slice, two epochs (--quick)
OUTPUT_DIR = REPO_ROOT / "runs"  # each run writes a new folder under OUTPUT_DIR/ann/, as python -m ann.train does

# %%
# <<< train.py: imports
from notebooks.pictures import show_pictures

# %% [markdown]
# ## The settings, and TensorFlow
#
# The cells from here on are `ann/train.py`'s `main()` as it is, section by section: the build copies them, so they
# cannot drift from the script. One line differs: the flags become the settings `config = AnnConfig(quick=QUICK,
# output_dir=str(OUTPUT_DIR))`, where every flag is a field ("Try next" below shows one). TensorFlow loads after them,
# as in the script.

# %%
# <<< train.py: Setup

# %% [markdown]
# ## Data
#
# `ann/dataset.py` loads the data set `config.dataset` names. For `digits`: 1,797 8x8 images, each read as 64
# pixel values, split 65/15/20 into training, validation and test (stratified), and standardized with the
# training split's means and spreads only.

# %%
# <<< train.py: Data
print("x_train", dataset.x_train.shape, "y_train", dataset.y_train.shape, "classes", dataset.class_names)

# %% [markdown]
# ## Model and compile
#
# `build_model` in `ann/model.py` stacks the hidden `Dense` layers (each followed by `Dropout` when the rate is
# above 0) and an output layer that fits the task: a softmax over the classes, one sigmoid unit for two classes, or
# one linear unit for a value.
#
# The loss pairs with the output layer (see "Loss functions: which one when" above). The labels stay class indices,
# so several classes take the *sparse* categorical cross-entropy.

# %%
# <<< train.py: Model
model.summary()

# %% [markdown]
# ## Fit
#
# One line per epoch. Early stopping watches the validation loss and restores the best epoch's weights; the run
# folder (`config.json`, `history.csv`, `model.keras`, ...) is written under `OUTPUT_DIR`. Interrupting the kernel
# while it trains ends training after the current batch, and the cells below score the best weights so far.

# %%
# <<< train.py: Training

# %% [markdown]
# ## Evaluate on the test split, beside the baselines
#
# The network against a baseline that learns nothing (the most common class, or the training mean) and against what
# a practitioner would fit first on the same split with scikit-learn (logistic regression and an SVM, or ridge
# regression), each chosen on the validation split. The model saved as `model.keras` is the network with its scaling
# inside (`end_to_end`): it reads raw rows, such as pixels from 0 to 16, and answers in the target's units.

# %%
# <<< train.py: Evaluation
# <<< train.py: Saved

# %% [markdown]
# ## The pictures of the run
#
# The learning curves (see "Reading the learning curves" in the README: a gap that opens between training and
# validation is overfitting), then the confusion matrix (or, for a value, predictions against the truth).

# %%
# common/plots.py chose matplotlib's file-only backend for the scripts; pictures are drawn in the notebook again.
# %matplotlib inline
figures = show_pictures(run_dir, "learning_curves.png",
                        "predictions.png" if dataset.task == "regression" else "confusion_matrix.png")

# %% [markdown]
# ## What to expect
#
# <!-- README: What to expect -->

# %% [markdown]
# ## Try next
#
# In this notebook a flag is a field of the settings cell: `python -m ann.train --dropout 0 --patience 100 --epochs
# 200` is `AnnConfig(quick=QUICK, output_dir=str(OUTPUT_DIR), dropout=0.0, patience=100, epochs=200)`; change it and
# run the cells below it again. The README's exercises:
#
# <!-- README: Try next -->
