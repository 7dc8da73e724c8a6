"""The source of notebooks/transformer.ipynb (jupytext percent format): python -m notebooks.build writes it."""

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
# check that everything works (the model has barely started to spell by then). `QUICK = False` is the real run of
# `python -m transformer.train`: a GPT of two causal blocks that learns to write Python's help texts one character
# at a time, in about three minutes on 2 CPU cores.

# %% tags=["parameters"]
QUICK = False  # True: seconds on a small slice, two epochs (--quick)
OUTPUT_DIR = REPO_ROOT / "runs"  # each run writes a new folder under OUTPUT_DIR/transformer/, as the script does

# %%
# <<< train.py: imports
from notebooks.pictures import show_pictures

# %% [markdown]
# ## The settings, and TensorFlow
#
# The cells from here on are `transformer/train.py`'s `main()` and `train_gpt()` (the GPT's model, training and
# evaluation; `--dataset dates` calls `train_encoder_decoder()` instead) as they are, section by section: the build
# copies them, so they cannot drift from the script. One line differs: the flags become the settings `config =
# TransformerConfig(quick=QUICK, output_dir=str(OUTPUT_DIR))`, where every flag is a field ("Try next" below shows
# one). TensorFlow loads after them, as in the script.

# %%
# <<< train.py: Setup

# %% [markdown]
# ## Data
#
# `transformer/dataset.py` reads the text `config.corpus` names, by default the help-topic texts that ship with every
# Python (`python-docs`, from `pydoc_data`), the same text and split as gru/: character ids cut into windows of
# `config.window` (64), x (n, 64) and y the same characters shifted by one, the next character at every position.
# The last tenth of the text is the test part, the tenth before it validation.

# %%
# <<< train.py: Data

# %% [markdown]
# ## Model and compile
#
# `build_model` in `transformer/model.py`: an `Embedding` turns each character id into a vector of `d_model`, a
# position vector is added, `layers` causal `TransformerBlock`s (transformer/layers.py) let every position read the
# ones before it, and after a last `LayerNorm` a softmax over the characters follows at every position.
#
# Cross-entropy over the characters at every position, as for gru/: the causal mask keeps each position from seeing
# the character it must predict, so one pass scores them all. Gradients are clipped to a norm of 1 (`clip_norm`).

# %%
# <<< train.py train_gpt: Setup
# <<< train.py train_gpt: Model
model.summary()

# %% [markdown]
# ## Fit
#
# One line per epoch. Early stopping watches the validation loss and restores the best epoch's weights. Interrupting
# the kernel while it trains ends training after the current batch; the cells below then score the best weights.

# %%
# <<< train.py train_gpt: Training

# %% [markdown]
# ## Evaluate on the test split, beside the baselines
#
# Bits per character on the test text (the loss divided by ln 2) beside a unigram model that knows only how often
# each character occurs, then text sampled after the prompt at each temperature (`samples.txt`): the model re-reads
# its last window of characters at every step.

# %%
# <<< train.py train_gpt: Evaluation
print(result["summary"])

# %% [markdown]
# ## Writing with the key/value cache
#
# `generate` in `transformer/model.py` writes after a prompt with each block's keys and values kept from one step to
# the next, so each step computes only the new character's. Greedy (temperature 0), it gives the same characters as
# re-reading the whole window at every step, as long as the text fits the window.

# %%
from transformer.model import generate

vocabulary = dataset.meta["vocabulary"]
prompt_ids = vocabulary.encode(config.prompt)
cached = generate(model, prompt_ids, length=30, temperature=0, use_cache=True)
uncached = generate(model, prompt_ids, length=30, temperature=0, use_cache=False)
print(repr(config.prompt + vocabulary.decode(cached)))
print("the same characters with and without the cache:", cached.tolist() == uncached.tolist())

# %% [markdown]
# ## The pictures of the run
#
# Every picture the run saved: the learning curves, each head's attention over a line of test text (row: the
# position reading; column: the position read; nothing above the diagonal), and the position vectors.

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
# In this notebook a flag is a field of the settings cell: `python -m transformer.train --positions none --heads 1`
# is `TransformerConfig(quick=QUICK, output_dir=str(OUTPUT_DIR), positions="none", heads=1)`; change it and run the
# cells below it again. The README's exercises:
#
# <!-- README: Try next -->
