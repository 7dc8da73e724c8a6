"""Text, one character at a time: corpora, vocabulary, bits per character, temperature sampling, scoring.

    data = load_text("python-docs", window=100)   # x_train (n, 100) character ids, y_train the same shifted by one
    evaluation = evaluate_text(model, data, run_dir, prompt="def ", temperatures=[0.2, 0.5, 1.0])

A character language model is a classifier over the vocabulary at every position: its cross-entropy in bits is
bits per character, scored beside a unigram model that knows only how often each character occurs, and its samples
(samples.txt) show what it has learned. Keras loads only inside the functions that need it, so that flags are
checked before TensorFlow starts.
"""

import dataclasses
import json
import math
from pathlib import Path

import numpy as np

from common.datasets import Dataset, download_failure

DEFAULT_WINDOW = 100  # characters the network reads per example when --window is left out
CORPORA = ("python-docs", "shakespeare")  # or a path to any UTF-8 text file
SHAKESPEARE_URL = "https://storage.googleapis.com/download.tensorflow.org/data/shakespeare.txt"


@dataclasses.dataclass
class CharVocabulary:
    """Characters <-> integer ids. Id 0 stands for any character not seen in the training text."""

    chars: list[str]

    UNKNOWN = "\N{REPLACEMENT CHARACTER}"

    @classmethod
    def from_text(cls, text: str) -> "CharVocabulary":
        return cls([cls.UNKNOWN] + sorted(set(text) - {cls.UNKNOWN}))

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        index = {char: i for i, char in enumerate(self.chars)}
        return np.array([index.get(char, 0) for char in text], dtype="int32")

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


# ----------------------------------------------------------------------------------------------------------------
# The corpus as a data set


def read_corpus(corpus: str) -> tuple[str, str]:
    """(text, source) for python-docs, shakespeare (downloaded and cached) or a path to a UTF-8 file."""
    if corpus == "python-docs":
        from pydoc_data.topics import topics  # the text of help('topics'), shipped with every Python

        return "".join(topics[key] for key in sorted(topics)), "Python's pydoc_data.topics (help topic texts)"
    if corpus == "shakespeare":
        import keras

        try:
            text = Path(keras.utils.get_file("shakespeare.txt", SHAKESPEARE_URL)).read_text(encoding="utf-8")
        except Exception as error:  # no network, server down, partial file: the same message to the user
            raise download_failure(
                "the shakespeare corpus", error, "use --corpus python-docs or --corpus PATH to a UTF-8 text file"
            ) from None
        return text, f"Tiny Shakespeare ({SHAKESPEARE_URL})"
    path = Path(corpus)
    if not path.is_file():
        raise ValueError(f"--corpus must be {' or '.join(CORPORA)} or a text file; {corpus!r} is neither")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"--corpus {corpus} is not UTF-8 text ({error.reason} at byte {error.start})") from None
    if not text.strip():
        raise ValueError(f"--corpus {corpus} is empty")
    return text, str(path)


def chunk_text(ids: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut ids into non-overlapping pieces of window + 1: x = the first window ids, y = the same shifted by one.

    Every position of every piece is a training example of "predict the next character" (many-to-many).
    """
    count = (len(ids) - 1) // window
    if count < 1:
        raise ValueError(f"a text of {len(ids)} characters is too short for --window {window}")
    x = np.stack([ids[i * window : (i + 1) * window] for i in range(count)])
    y = np.stack([ids[i * window + 1 : (i + 1) * window + 1] for i in range(count)])
    return x.astype("int32"), y.astype("int32")


def load_text(corpus: str = "python-docs", window: int = DEFAULT_WINDOW) -> Dataset:
    """Characters of a corpus as ids; the last 10% is test, the 10% before it validation.

    x (n, window) and y (n, window), y being x shifted by one character. The vocabulary comes from the training
    part; id 0 stands for a character found only in validation or test.
    """
    text, source = read_corpus(corpus)
    test_start = int(len(text) * 0.9)
    val_start = int(len(text) * 0.8)
    vocabulary = CharVocabulary.from_text(text[:val_start])
    parts = [vocabulary.encode(part) for part in (text[:val_start], text[val_start:test_start], text[test_start:])]
    if min(len(part) for part in parts) <= window:
        raise ValueError(
            f"--window {window} is too long for a corpus of {len(text)} characters "
            f"(each tenth must hold more than one window)"
        )
    arrays = [array for part in parts for array in chunk_text(part, window)]
    meta = {
        "source": source,
        "corpus": corpus,
        "vocabulary": vocabulary,
        "vocab_size": len(vocabulary),
        "characters": len(text),
    }
    return Dataset("text", "generation", *arrays, class_names=vocabulary.chars, meta=meta)


# ----------------------------------------------------------------------------------------------------------------
# Bits per character and sampling


def bits_per_char(probabilities: np.ndarray, targets: np.ndarray) -> float:
    """Mean of -log2 p(true next character): probabilities (..., vocab), targets (...) of ids."""
    probabilities = np.asarray(probabilities, dtype="float64").reshape(-1, probabilities.shape[-1])
    chosen = probabilities[np.arange(len(probabilities)), np.asarray(targets).ravel()]
    return float(-np.mean(np.log2(np.clip(chosen, 1e-12, 1.0))))


def unigram_bits_per_char(train_ids: np.ndarray, test_ids: np.ndarray, vocab_size: int) -> float:
    """Bits per character of a model that knows only how often each character occurs in the training text.

    Counts get one added (Laplace smoothing), so a test character never seen in training still has a probability.
    """
    counts = np.bincount(np.asarray(train_ids).ravel(), minlength=vocab_size) + 1.0
    probabilities = counts / counts.sum()
    return float(-np.mean(np.log2(probabilities[np.asarray(test_ids).ravel()])))


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """p_i^(1/T), renormalised: T < 1 sharpens towards the likeliest character, T > 1 flattens towards uniform."""
    if temperature <= 0:
        raise ValueError(f"temperature must be above 0 (got {temperature})")
    logits = np.log(np.clip(np.asarray(probabilities, dtype="float64"), 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=-1, keepdims=True)


def sample_characters(
    predict_next, prompt_ids: np.ndarray, length: int, temperatures: list[float], seed: int = 0
) -> list[np.ndarray]:
    """Generate `length` ids after the prompt at each temperature, one batch row per temperature.

    predict_next(new_ids (batch, time)) -> probabilities (batch, vocab) of the next character given everything fed
    so far: a stateful model, which keeps what it has read. It gets the prompt first, then one sampled id per row.
    Returns the generated ids of each temperature.
    """
    rng = np.random.default_rng(seed)
    new_ids = np.repeat(np.asarray(prompt_ids, dtype="int32")[None, :], len(temperatures), axis=0)
    generated = np.zeros((len(temperatures), length), dtype="int32")
    for step in range(length):
        probabilities = predict_next(new_ids)
        for row, temperature in enumerate(temperatures):
            p = apply_temperature(probabilities[row], temperature)
            generated[row, step] = rng.choice(len(p), p=p)
        new_ids = generated[:, step : step + 1]
    return list(generated)


RECURRENT_LAYERS = ("SimpleRNN", "LSTM", "GRU")


def stateful_copy(model, batch_size: int):
    """The same network with stateful recurrent layers for a fixed batch size, sharing nothing but copied weights.

    A stateful layer keeps its last state between calls, so generation feeds one new character per step instead of
    running the whole text so far through the network again: each step costs one time step, not hundreds.
    """
    import keras

    config = model.get_config()
    for layer in config["layers"]:
        if layer["class_name"] == "InputLayer":
            layer["config"]["batch_shape"] = [batch_size, *layer["config"]["batch_shape"][1:]]
        elif layer["class_name"] in RECURRENT_LAYERS:
            layer["config"]["stateful"] = True  # a stateful layer needs the batch size in its input shape
            layer["build_config"]["input_shape"] = [batch_size, *layer["build_config"]["input_shape"][1:]]
    copy = keras.Model.from_config(config)
    copy.set_weights(model.get_weights())
    return copy


class NextCharacter:
    """predict_next for sample_characters: next-character probabilities (batch, vocabulary) given all ids fed so far.

    A recurrent network remembers in its state: a stateful copy (stateful_copy) reads only the new ids. Any other
    network (a transformer) has no state to keep: it reads the last `window` ids again at every step (its training
    window; transformer/model.py's generate shows the faster key/value cache), which must be causal, as a model of
    the next character is. reset() starts a new text."""

    def __init__(self, model, batch_size: int, window: int | None = None, compiled: bool = False):
        self.recurrent = any(layer["class_name"] in RECURRENT_LAYERS for layer in model.get_config()["layers"])
        self.network = stateful_copy(model, batch_size) if self.recurrent else model
        self.window, self.compiled, self.seen = window, compiled, None

    def reset(self) -> None:
        self.seen = None
        for layer in self.network.layers:
            if getattr(layer, "stateful", False):
                layer.reset_state()

    def __call__(self, new_ids: np.ndarray) -> np.ndarray:
        import keras

        if self.recurrent:
            if self.compiled:  # a compiled step: faster than predict() for one text
                return self.network.predict_on_batch(new_ids)[:, -1, :]
            return keras.ops.convert_to_numpy(self.network(new_ids, training=False))[:, -1, :]
        self.seen = new_ids if self.seen is None else np.concatenate([self.seen, new_ids], axis=1)
        if not self.window:
            return keras.ops.convert_to_numpy(self.network(self.seen, training=False))[:, -1, :]
        # The last `window` ids, padded after the text to the full window: one input shape at every step (JAX
        # compiles each new shape once), and a causal model's answer at the last real position ignores the padding.
        text = self.seen[:, -self.window :]
        padded = np.pad(text, ((0, 0), (0, self.window - text.shape[1])))
        return keras.ops.convert_to_numpy(self.network(padded, training=False))[:, text.shape[1] - 1, :]


class TextWriter:
    """A trained character model writing after a prompt, as serve/ and a student use it (a loop around model.keras:
    each character sampled is fed back in, so it cannot be a layer).

        writer = TextWriter.from_run("runs/gru/text-20261123-101500")   # model.keras and inputs.json's vocabulary
        writer.write("The ", length=200, temperature=0.5, seed=0)        # the 200 characters after "The "

    NextCharacter reads the prompt, then one new character per step, from a fresh start for every text; the same
    seed gives the same text. window: the ids a network without state reads (inputs.json's window)."""

    def __init__(self, model, vocabulary: CharVocabulary, window: int | None = None):
        self.vocabulary = vocabulary
        self.next_character = NextCharacter(model, batch_size=1, window=window, compiled=True)

    @classmethod
    def from_run(cls, run_dir: str | Path) -> "TextWriter":
        """The writer of a run folder of a text model: its model.keras, and the vocabulary kept in its inputs.json."""
        import keras

        run_dir = Path(run_dir)
        inputs = json.loads((run_dir / "inputs.json").read_text(encoding="utf-8"))
        model = keras.saving.load_model(run_dir / "model.keras", compile=False)
        return cls(model, CharVocabulary(inputs["vocabulary"]), inputs.get("window"))

    def write(self, prompt: str, length: int = 200, temperature: float = 1.0, seed: int = 0) -> str:
        """The `length` characters sampled after prompt (a character never seen in training reads as id 0)."""
        self.next_character.reset()  # forget the previous text
        ids = sample_characters(self.next_character, self.vocabulary.encode(prompt), length, [temperature], seed)[0]
        return self.vocabulary.decode(ids)


def write_samples(
    model,
    vocabulary: CharVocabulary,
    prompt: str,
    temperatures: list[float],
    length: int,
    seed: int,
    path: Path,
    window: int | None = None,
) -> Path:
    """Text generated after `prompt` at each temperature, written as one block per temperature (window as in
    NextCharacter)."""
    next_character = NextCharacter(model, batch_size=len(temperatures), window=window)
    generated = sample_characters(next_character, vocabulary.encode(prompt), length, temperatures, seed)
    blocks = [
        f"--- temperature {temperature:g} ---\n{prompt}{vocabulary.decode(ids)}\n"
        for temperature, ids in zip(temperatures, generated)
    ]
    path.write_text("\n".join(blocks))
    return path


def evaluate_text(
    model,
    dataset: Dataset,
    run_dir: Path,
    prompt: str,
    temperatures: list[float],
    sample_length: int = 400,
    seed: int = 0,
):
    """Bits per character and next-character accuracy on the test text beside the unigram model; samples.txt."""
    from common.evaluation import Evaluation

    vocabulary = dataset.meta["vocabulary"]

    def scores(probabilities: np.ndarray, y: np.ndarray) -> dict[str, float]:
        bits = bits_per_char(probabilities, y)
        return {
            "loss": bits * math.log(2),
            "bits_per_char": bits,
            "accuracy": float(np.mean(probabilities.argmax(axis=-1) == y)),
        }

    probabilities = model.predict(dataset.x_test, verbose=0)  # (n, window, vocabulary)
    test = scores(probabilities, dataset.y_test)
    validation = scores(model.predict(dataset.x_val, verbose=0), dataset.y_val)  # what settings are chosen by
    unigram = unigram_bits_per_char(dataset.y_train, dataset.y_test, len(vocabulary))
    most_frequent = np.bincount(dataset.y_train.ravel(), minlength=len(vocabulary)).argmax()
    baselines = {
        "unigram": {
            "loss": unigram * math.log(2),
            "bits_per_char": unigram,
            "accuracy": float(np.mean(dataset.y_test == most_frequent)),
        }
    }
    window = dataset.x_train.shape[1]  # what a network without state reads again at each step
    write_samples(model, vocabulary, prompt, temperatures, sample_length, seed, run_dir / "samples.txt", window)
    return Evaluation(test=test, baselines=baselines, outputs=probabilities, validation=validation)
