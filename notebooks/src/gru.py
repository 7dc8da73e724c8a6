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
from common.flags import format_config
from common.console import quiet_tensorflow, setup_logging
from gru.train import GruConfig

# Every flag of python -m gru.train is a field here: --layers 2 --units 128 is GruConfig(layers=2, units=128, ...).
# A value that cannot work raises ValueError at once.
config = GruConfig(quick=QUICK, output_dir=str(OUTPUT_DIR))
setup_logging(config.verbose)  # the helpers' lines (data sizes, scores beside the baselines) print below the cells
print(format_config(config))

# %%
quiet_tensorflow(config.verbose)  # TensorFlow's C++ start-up notices stay out of the notebook
import time

import keras

from common.runs import finish_run, start_run
from common.sequences import evaluate_sequence_model
from common.tasks import loss_for_task, metrics_for_task
from common.training import make_callbacks, make_optimizer, quick_settings
from gru.dataset import load_dataset
from gru.model import build_model
from notebooks.pictures import show_pictures

# common/plots.py chose matplotlib's file-only backend for the scripts; pictures are drawn in the notebook again.
# %matplotlib inline

# %% [markdown]
# ## Data
#
# `gru/dataset.py` loads the data set `config.dataset` names. For `text`: the help-topic texts that ship with every
# Python (`python-docs`, from `pydoc_data`), as character ids cut into windows of 100: x (n, 100) and y the same
# characters shifted by one, the next character at every position. The last tenth of the text is the test part, the
# tenth before it validation.

# %%
dataset = load_dataset(config)
keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same settings, same numbers
dataset, epochs = quick_settings(config, dataset)  # QUICK: the first examples of each split, at most two epochs
print("x_train", dataset.x_train.shape, "y_train", dataset.y_train.shape, "vocabulary", dataset.meta.get("vocab_size"))

# %% [markdown]
# ## Model
#
# `build_model` in `gru/model.py`: an `Embedding` turns each character id into a vector, `GRU` layers read them, and
# a softmax over the characters follows at every step. Laid beside `rnn/model.py` and `lstm/model.py`, only the cell
# differs.

# %%
model = build_model(task=dataset.task, units=config.units, num_layers=config.layers,
                    input_shape=dataset.input_shape, num_classes=dataset.num_classes,
                    many_to_many=config.many_to_many, vocab_size=dataset.meta.get("vocab_size"),
                    embedding_dim=config.embedding_dim, dropout_rate=config.dropout,
                    mask_padding=dataset.name == "imdb")
model.summary()

# %% [markdown]
# ## Compile
#
# The loss follows the data (`common/tasks.py`): mean squared error for a value, cross-entropy over the classes for
# a label, and over the characters at every step for text.

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
run_dir = start_run(config, "gru", dataset.name, model)
start = time.perf_counter()
history = model.fit(dataset.x_train, dataset.y_train, validation_data=(dataset.x_val, dataset.y_val),
                    epochs=epochs, batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                    verbose=2)
train_seconds = time.perf_counter() - start

# %% [markdown]
# ## Evaluate on the test split, beside the baselines
#
# Bits per character on the test text beside a unigram model that knows only how often each character occurs, then
# text sampled after the prompt at each temperature (`samples.txt`): low temperatures repeat the likeliest phrases,
# high ones invent.

# %%
evaluation = evaluate_sequence_model(model, dataset, run_dir, config)
result = finish_run(run_dir, model, history, evaluation, dataset, train_seconds)
print(result["summary"])
if (run_dir / "samples.txt").is_file():  # text: what the network writes
    print((run_dir / "samples.txt").read_text())

# %% [markdown]
# ## The pictures of the run
#
# Every picture the run saved: the learning curves (and the forecast against the series, for a forecast).

# %%
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
