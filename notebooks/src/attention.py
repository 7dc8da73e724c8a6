"""The source of notebooks/attention.ipynb (jupytext percent format): python -m notebooks.build writes the notebook."""

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
# check that everything works (the model has not learned to write dates by then). `QUICK = False` is the real run of
# `python -m attention.train`: a GRU encoder-decoder with Bahdanau attention learns to turn human-written dates into
# ISO dates, two to three minutes of training on 2 CPU cores.

# %% tags=["parameters"]
QUICK = False  # True: seconds on a small slice, two epochs (--quick)
OUTPUT_DIR = REPO_ROOT / "runs"  # each run writes a new folder under OUTPUT_DIR/attention/, as the train script does

# %%
from attention.train import AttentionConfig
from common.flags import format_config
from common.console import quiet_tensorflow, setup_logging

# Every flag of python -m attention.train is a field here: --attention luong-general is
# AttentionConfig(attention="luong-general", ...). A value that cannot work raises ValueError at once.
config = AttentionConfig(quick=QUICK, output_dir=str(OUTPUT_DIR))
setup_logging(config.verbose)  # the helpers' lines (data sizes, scores beside the baselines) print below the cells
print(format_config(config))

# %%
quiet_tensorflow(config.verbose)  # TensorFlow's C++ start-up notices stay out of the notebook
import time

import keras

from attention.dataset import load_dataset
from attention.evaluation import seq2seq_evaluator
from attention.model import TokenAccuracy, build_model
from common.runs import finish_run, start_run
from common.training import make_callbacks, make_optimizer, quick_settings
from notebooks.pictures import show_pictures

# common/plots.py chose matplotlib's file-only backend for the scripts; pictures are drawn in the notebook again.
# %matplotlib inline

# %% [markdown]
# ## Data
#
# `attention/dataset.py` makes the pairs `config.dataset` names. For `dates`: 10,000 dates written the ways people
# write them ("March 3rd, 2015", "03.03.2015", "Tue 3 Mar 2015", ...) beside the same date in ISO form
# ("2015-03-03"), character by character. Sources are ids (n, S); targets are `<start>` target `<end>` (n, T + 2),
# padded with `<pad>` = 0.

# %%
dataset = load_dataset(config)
keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same settings, same numbers
dataset, epochs = quick_settings(config, dataset)  # QUICK: the first examples of each split, at most two epochs
source_vocabulary, target_vocabulary = dataset.meta["source_vocabulary"], dataset.meta["target_vocabulary"]
print("x_train", dataset.x_train.shape, "y_train", dataset.y_train.shape)
print("first pair:", dataset.meta["pairs"]["train"][0])

# %% [markdown]
# ## Model
#
# `build_model` in `attention/model.py`: an `Encoder` layer (embedding and a recurrent layer that keeps every state
# h_1 .. h_S) and a `Decoder` layer that, at every output step, scores the encoder states against its own state,
# turns the scores into weights with a softmax, and reads their weighted sum, the context (see the equations above).

# %%
model = build_model(
    source_vocabulary_size=len(source_vocabulary), target_vocabulary_size=dataset.num_classes,
    target_length=dataset.y_train.shape[1] - 1, attention=config.attention, cell=config.cell, units=config.units,
    embedding_dim=config.embedding_dim, bidirectional_encoder=config.bidirectional_encoder,
    attention_units=config.attention_units, input_feeding=config.input_feeding)
model.summary()

# %% [markdown]
# ## Compile
#
# Cross-entropy over the target vocabulary at every output step. A shorter target is padded with `<pad>` (id 0)
# after its `<end>`, and `ignore_class=0` leaves those positions out of the loss; `TokenAccuracy` leaves them out of
# the accuracy. Gradients are clipped to a norm of 1 (`clip_norm`): long sources can otherwise throw training off.

# %%
model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm),
              loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=0),
              metrics=[TokenAccuracy(name="accuracy")])

# %% [markdown]
# ## Fit, with teacher forcing
#
# Target rows are `<start>` y_1 .. y_T `<end>`. The decoder reads the true tokens up to the last one (`y[:, :-1]`)
# and learns to write each next one (`y[:, 1:]`), whatever it would have written itself. Early stopping restores the
# best epoch's weights; interrupting the kernel while it trains ends training after the current batch.

# %%
run_dir = start_run(config, f"attention/{config.attention}", dataset.name, model)
start = time.perf_counter()
history = model.fit([dataset.x_train, dataset.y_train[:, :-1]], dataset.y_train[:, 1:],
                    validation_data=([dataset.x_val, dataset.y_val[:, :-1]], dataset.y_val[:, 1:]),
                    epochs=epochs, batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                    verbose=2)
train_seconds = time.perf_counter() - start

# %% [markdown]
# ## Evaluate: the test split decoded on its own
#
# No teacher now: the decoder reads its own last choice, one step at a time, until it writes `<end>` (greedy, or
# beam search with `beam_width` > 1). Exact match counts the outputs equal to their target, token accuracy the
# tokens in the right place; the baseline writes the most common token of each position. `predictions.txt` in the run
# folder holds every test pair with the model's output.

# %%
evaluation = seq2seq_evaluator(config.beam_width, config.num_heatmaps)(model, dataset, run_dir)
result = finish_run(run_dir, model, history, evaluation, dataset, train_seconds)
for example in result["examples"]:
    print(f"  {example['source']!r} -> {example['output']!r} (target {example['target']!r})")
print(result["summary"])

# %% [markdown]
# ## The pictures of the run
#
# The learning curves, then where the decoder looked while writing each output token of the first test pairs (see
# the heatmap under "Run it" in the README: a trained model looks at the year while writing the year).

# %%
figures = show_pictures(run_dir, *sorted(path.name for path in (run_dir / "plots").glob("*.png")))

# %% [markdown]
# ## What to expect
#
# <!-- README: What to expect -->

# %% [markdown]
# ## Try next
#
# In this notebook a flag is a field of the settings cell: `python -m attention.train --attention none` is
# `AttentionConfig(quick=QUICK, output_dir=str(OUTPUT_DIR), attention="none")`; change it and run the cells below it
# again. The README's exercises:
#
# <!-- README: Try next -->
