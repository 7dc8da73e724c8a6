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
from common.flags import format_config
from common.console import quiet_tensorflow, setup_logging
from lstm.train import LstmConfig

# Every flag of python -m lstm.train is a field here: --units 32 --window 6 is LstmConfig(units=32, window=6, ...).
# A value that cannot work raises ValueError at once.
config = LstmConfig(quick=QUICK, output_dir=str(OUTPUT_DIR))
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
from lstm.dataset import load_dataset
from lstm.model import build_model
from notebooks.pictures import show_pictures

# common/plots.py chose matplotlib's file-only backend for the scripts; pictures are drawn in the notebook again.
# %matplotlib inline

# %% [markdown]
# ## Data
#
# `lstm/dataset.py` loads the data set `config.dataset` names. For `airline`: the monthly passengers of
# `data/airline_passengers.csv`, modelled as their seasonal log growth (each month against the same month a year
# earlier), read three months at a time (n, 3, 1), split in time order (the test part is the last third of the
# series) and scaled with the training part's statistics only.

# %%
dataset = load_dataset(config)
keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same settings, same numbers
dataset, epochs = quick_settings(config, dataset)  # QUICK: the first examples of each split, at most two epochs
print("x_train", dataset.x_train.shape, "y_train", dataset.y_train.shape)

# %% [markdown]
# ## Model
#
# `build_model` in `lstm/model.py`: `LSTM` layers, then a `Dense` output on the last state (at every step for
# many-to-many and text). Laid beside `rnn/model.py` and `gru/model.py`, only the cell differs.

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
run_dir = start_run(config, "lstm", dataset.name, model)
start = time.perf_counter()
history = model.fit(dataset.x_train, dataset.y_train, validation_data=(dataset.x_val, dataset.y_val),
                    epochs=epochs, batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                    verbose=2)
train_seconds = time.perf_counter() - start

# %% [markdown]
# ## Evaluate on the test split, beside the baselines
#
# The forecasts are turned back into passengers and scored beside persistence (next month is this month), the
# seasonal naive forecast (next month is the same month last year), the seasonal ARIMA "airline model" a statistician
# would fit first (statsmodels), and the training mean.

# %%
evaluation = evaluate_sequence_model(model, dataset, run_dir, config)
result = finish_run(run_dir, model, history, evaluation, dataset, train_seconds)
print(result["summary"])

# %% [markdown]
# ## The pictures of the run
#
# Every picture the run saved: the forecast against the series (for a forecast) and the learning curves.

# %%
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
