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
from birnn.train import BirnnConfig
from common.flags import format_config
from common.console import quiet_tensorflow, setup_logging

# Every flag of python -m birnn.train is a field here: --merge-mode sum --cell lstm is
# BirnnConfig(merge_mode="sum", cell="lstm", ...). A value that cannot work raises ValueError at once.
config = BirnnConfig(quick=QUICK, output_dir=str(OUTPUT_DIR), compare=True)
setup_logging(config.verbose)  # the helpers' lines (data sizes, scores beside the baselines) print below the cells
print(format_config(config))

# %%
quiet_tensorflow(config.verbose)  # TensorFlow's C++ start-up notices stay out of the notebook
import time

import keras

from birnn.dataset import load_dataset
from birnn.model import build_model
from common.runs import finish_run, start_run
from common.sequences import evaluate_sequence_model
from common.tasks import loss_for_task, metrics_for_task
from common.training import make_callbacks, make_optimizer, quick_settings
from notebooks.pictures import show_pictures

# common/plots.py chose matplotlib's file-only backend for the scripts; pictures are drawn in the notebook again.
# %matplotlib inline

# %% [markdown]
# ## Data
#
# `birnn/dataset.py` loads the data set `config.dataset` names. For `tagging`: 5,000 generated sequences of 20 values
# (n, 20, 1), each step tagged by how many of its two neighbours it is larger than (y: (n, 20), three tags). Half of
# the time the tag depends on the *next* value, which a network reading left to right has not seen yet.

# %%
dataset = load_dataset(config)
keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same settings, same numbers
dataset, epochs = quick_settings(config, dataset)  # QUICK: the first examples of each split, at most two epochs
print("x_train", dataset.x_train.shape, "y_train", dataset.y_train.shape, "tags", dataset.class_names)

# %% [markdown]
# ## Model
#
# `build_model` in `birnn/model.py`: `Bidirectional(GRU)` reads the sequence both ways and merges the two states at
# every step (`concat`: 2 x 32 numbers), and a softmax over the three tags follows at every step. The tagging task
# has a label per step, so the model is many-to-many.

# %%
label_per_step = config.many_to_many or bool(dataset.meta.get("label_per_step"))
model = build_model(cell=config.cell, merge_mode=config.merge_mode, bidirectional=config.bidirectional,
                    task=dataset.task, units=config.units, num_layers=config.layers,
                    input_shape=dataset.input_shape, num_classes=dataset.num_classes,
                    many_to_many=label_per_step, vocab_size=dataset.meta.get("vocab_size"),
                    embedding_dim=config.embedding_dim, dropout_rate=config.dropout,
                    mask_padding=dataset.name == "imdb")
model.summary()

# %% [markdown]
# ## Compile
#
# Cross-entropy over the tags, at every step (`common/tasks.py` chooses the loss from the data).

# %%
model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm),
              loss=loss_for_task(dataset.task, dataset.num_classes),
              metrics=metrics_for_task(dataset.task, dataset.num_classes))

# %% [markdown]
# ## Fit
#
# One line per epoch. Early stopping watches the validation loss and restores the best epoch's weights. Interrupting
# the kernel while it trains ends training after the current batch; the cells below then score the best weights.

# %%
run_dir = start_run(config, "birnn", dataset.name, model)
start = time.perf_counter()
history = model.fit(dataset.x_train, dataset.y_train, validation_data=(dataset.x_val, dataset.y_val),
                    epochs=epochs, batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                    verbose=2)
train_seconds = time.perf_counter() - start

# %% [markdown]
# ## Evaluate on the test split, beside the baselines
#
# Every step of every test sequence counts: accuracy and macro precision, recall and F1 beside the majority tag.

# %%
evaluation = evaluate_sequence_model(model, dataset, run_dir, config)
result = finish_run(run_dir, model, history, evaluation, dataset, train_seconds)
print(result["summary"])

# %% [markdown]
# ## The forward-only twin
#
# The same cell, units, data, seed and epochs, reading left to right only (`bidirectional=False`): whatever it loses
# is what the backward direction brought. Its run folder goes under `birnn/forward_only/`.

# %%
if config.compare:
    keras.utils.set_random_seed(config.seed)  # the same start as the bidirectional model: only the direction differs
    forward_model = build_model(cell=config.cell, merge_mode=config.merge_mode, bidirectional=False,
                                task=dataset.task, units=config.units, num_layers=config.layers,
                                input_shape=dataset.input_shape, num_classes=dataset.num_classes,
                                many_to_many=label_per_step, vocab_size=dataset.meta.get("vocab_size"),
                                embedding_dim=config.embedding_dim, dropout_rate=config.dropout,
                                mask_padding=dataset.name == "imdb")
    forward_model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm),
                          loss=loss_for_task(dataset.task, dataset.num_classes),
                          metrics=metrics_for_task(dataset.task, dataset.num_classes))
    forward_dir = start_run(config, "birnn/forward_only", dataset.name, forward_model)
    start = time.perf_counter()
    forward_history = forward_model.fit(dataset.x_train, dataset.y_train,
                                        validation_data=(dataset.x_val, dataset.y_val), epochs=epochs,
                                        batch_size=config.batch_size,
                                        callbacks=make_callbacks(config, forward_dir), verbose=2)
    forward_evaluation = evaluate_sequence_model(forward_model, dataset, forward_dir, config)
    forward = finish_run(forward_dir, forward_model, forward_history, forward_evaluation, dataset,
                         time.perf_counter() - start)
    print(f"forward-only:  {forward['summary']}")
    print(f"bidirectional: {result['summary']}")

# %% [markdown]
# ## The pictures of the run
#
# The bidirectional model's learning curves and confusion matrix, then the forward-only model's: without the next
# value it confuses neighbouring tags far more often.

# %%
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
