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
# <<< train.py: imports
from notebooks.pictures import show_pictures

# %% [markdown]
# ## The settings, and TensorFlow
#
# The cells from here on are `attention/train.py`'s `main()` as it is, section by section: the build copies them, so
# they cannot drift from the script. One line differs: the flags become the settings `config =
# AttentionConfig(quick=QUICK, output_dir=str(OUTPUT_DIR))`, where every flag is a field ("Try next" below shows one).
# TensorFlow loads after them, as in the script.

# %%
# <<< train.py: Setup

# %% [markdown]
# ## Data
#
# `attention/dataset.py` makes the pairs `config.dataset` names. For `dates`: 10,000 dates written the ways people
# write them ("March 3rd, 2015", "03.03.2015", "Tue 3 Mar 2015", ...) beside the same date in ISO form
# ("2015-03-03"), character by character. Sources are ids (n, S); targets are `<start>` target `<end>` (n, T + 2),
# padded with `<pad>` = 0.

# %%
# <<< train.py: Data

# main() hands the data to train_model (attention/train.py), whose sections follow, with its run
# folder's group:
group = f"attention/{config.attention}"
# <<< train.py train_model: Setup

# %% [markdown]
# ## Model and compile
#
# `build_model` in `attention/model.py`: an `Encoder` layer (embedding and a recurrent layer that keeps every state
# h_1 .. h_S) and a `Decoder` layer that, at every output step, scores the encoder states against its own state,
# turns the scores into weights with a softmax, and reads their weighted sum, the context (see the equations above).
#
# Cross-entropy over the target vocabulary at every output step. A shorter target is padded with `<pad>` (id 0)
# after its `<end>`, and `ignore_class=0` leaves those positions out of the loss; `TokenAccuracy` leaves them out of
# the accuracy. Gradients are clipped to a norm of 1 (`clip_norm`): long sources can otherwise throw training off.

# %%
# <<< train.py train_model: Model
model.summary()

# %% [markdown]
# ## Fit, with teacher forcing
#
# Target rows are `<start>` y_1 .. y_T `<end>`. The decoder reads the true tokens up to the last one (`y[:, :-1]`)
# and learns to write each next one (`y[:, 1:]`), whatever it would have written itself. Early stopping restores the
# best epoch's weights; interrupting the kernel while it trains ends training after the current batch.

# %%
# <<< train.py train_model: Training

# %% [markdown]
# ## Evaluate: the test split decoded on its own
#
# No teacher now: the decoder reads its own last choice, one step at a time, until it writes `<end>` (greedy, or
# beam search with `beam_width` > 1). Exact match counts the outputs equal to their target, token accuracy the
# tokens in the right place; the baseline writes the most common token of each position. `predictions.txt` in the run
# folder holds every test pair with the model's output.

# %%
# <<< train.py train_model: Evaluation
for example in result["examples"]:
    print(f"  {example['source']!r} -> {example['output']!r} (target {example['target']!r})")
print(result["summary"])

# %% [markdown]
# ## The pictures of the run
#
# The learning curves, then where the decoder looked while writing each output token of the first test pairs (see
# the heatmap under "Run it" in the README: a trained model looks at the year while writing the year).

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
# In this notebook a flag is a field of the settings cell: `python -m attention.train --attention none` is
# `AttentionConfig(quick=QUICK, output_dir=str(OUTPUT_DIR), attention="none")`; change it and run the cells below it
# again. The README's exercises:
#
# <!-- README: Try next -->
