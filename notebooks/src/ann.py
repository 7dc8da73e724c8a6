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
from ann.train import AnnConfig
from common.config import parse_int_list
from common.flags import format_config
from common.console import quiet_tensorflow, setup_logging

# Every flag of python -m ann.train is a field here: --hidden-units 64,32 --dropout 0 is
# AnnConfig(hidden_units="64,32", dropout=0.0, ...). A value that cannot work raises ValueError at once.
config = AnnConfig(quick=QUICK, output_dir=str(OUTPUT_DIR))
setup_logging(config.verbose)  # the helpers' lines (data sizes, scores beside the baselines) print below the cells
print(format_config(config))

# %%
quiet_tensorflow(config.verbose)  # TensorFlow's C++ start-up notices stay out of the notebook
import time

import keras

from ann.dataset import load_dataset, raw_features
from ann.model import build_model, end_to_end
from common.evaluation import classical_baselines, evaluate_classification, evaluate_regression
from common.runs import describe_inputs, finish_run, start_run
from common.training import make_callbacks, make_optimizer, quick_settings
from notebooks.pictures import show_pictures

# common/plots.py chose matplotlib's file-only backend for the scripts; pictures are drawn in the notebook again.
# %matplotlib inline

# %% [markdown]
# ## Data
#
# `ann/dataset.py` loads the data set `config.dataset` names. For `digits`: 1,797 8x8 images, each read as 64
# pixel values, split 65/15/20 into training, validation and test (stratified), and standardized with the
# training split's means and spreads only.

# %%
dataset = load_dataset(config)
keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same settings, same numbers
dataset, epochs = quick_settings(config, dataset)  # QUICK: the first examples of each split, at most two epochs
print("x_train", dataset.x_train.shape, "y_train", dataset.y_train.shape, "classes", dataset.class_names)

# %% [markdown]
# ## Model
#
# `build_model` in `ann/model.py` stacks the hidden `Dense` layers (each followed by `Dropout` when the rate is
# above 0) and an output layer that fits the task: a softmax over the classes, one sigmoid unit for two classes, or
# one linear unit for a value.

# %%
model = build_model(input_dim=dataset.input_shape[0], task=dataset.task, num_classes=dataset.num_classes,
                    hidden_units=parse_int_list(config.hidden_units, "--hidden-units"),
                    activation=config.activation, dropout_rate=config.dropout)
model.summary()

# %% [markdown]
# ## Compile: the loss that fits the output layer
#
# The loss pairs with the output layer (see "Loss functions: which one when" above). The labels stay class indices,
# so several classes take the *sparse* categorical cross-entropy.

# %%
if dataset.task == "regression":  # one linear unit: mean squared error, and the mean absolute error to read
    loss, metrics = keras.losses.MeanSquaredError(), [keras.metrics.MeanAbsoluteError(name="mae")]
elif dataset.num_classes == 2:    # one sigmoid unit: p(class 1)
    loss, metrics = keras.losses.BinaryCrossentropy(), [keras.metrics.BinaryAccuracy(name="accuracy")]
else:                             # softmax over the classes; labels stay class indices, hence "sparse"
    loss, metrics = keras.losses.SparseCategoricalCrossentropy(), \
        [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm),
              loss=loss, metrics=metrics)

# %% [markdown]
# ## Fit
#
# One line per epoch. Early stopping watches the validation loss and restores the best epoch's weights; the run
# folder (`config.json`, `history.csv`, `model.keras`, ...) is written under `OUTPUT_DIR`. Interrupting the kernel
# while it trains ends training after the current batch, and the cells below score the best weights so far.

# %%
run_dir = start_run(config, "ann", dataset.name, model)
start = time.perf_counter()
history = model.fit(dataset.x_train, dataset.y_train, validation_data=(dataset.x_val, dataset.y_val),
                    epochs=epochs, batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                    verbose=2)
train_seconds = time.perf_counter() - start

# %% [markdown]
# ## Evaluate on the test split, beside the baselines
#
# The network against a baseline that learns nothing (the most common class, or the training mean) and against what
# a practitioner would fit first on the same split with scikit-learn (logistic regression and an SVM, or ridge
# regression), each chosen on the validation split. The model saved as `model.keras` is the network with its scaling
# inside (`end_to_end`): it reads raw rows, such as pixels from 0 to 16, and answers in the target's units.

# %%
evaluate = evaluate_regression if dataset.task == "regression" else evaluate_classification
evaluation = evaluate(model, dataset, run_dir)
evaluation.baselines.update(classical_baselines(dataset, quick=config.quick))
inputs = describe_inputs(dataset, raw_features(dataset, dataset.x_test[:16]))  # inputs.json: what model.keras reads
result = finish_run(run_dir, end_to_end(model, dataset), history, evaluation, dataset, train_seconds, inputs)
print(result["summary"])

# %% [markdown]
# ## The pictures of the run
#
# The learning curves (see "Reading the learning curves" in the README: a gap that opens between training and
# validation is overfitting), then the confusion matrix (or, for a value, predictions against the truth).

# %%
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
