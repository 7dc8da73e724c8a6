"""The tasks whose answer is made by the model rather than chosen from classes: text, translations, reconstructions and
samples (see serve/tasks.py for the others and for what a task is).

    kind            runs                                        input -> answer
    text            rnn, lstm, gru, deep_rnn on text            a prompt -> the characters sampled after it
    translation     attention                                   a text -> the decoded output and the attention weights
    reconstruction  autoencoder                                 an image -> the image rebuilt from its code
    samples         gan                                         a seed (and a digit) -> generated images

Each reuses its folder's own functions: common/text.py's sampler, attention/translate.py's vocabulary reader and
attention/evaluation.py's decoder, gan/model.py's noise, so a served answer is the one the folder's scripts give.
"""

import numpy as np

from common.flags import require
from serve.run_folder import RunFolder
from serve.schemas import ReconstructionBody, SamplesBody, TextBody, TranslationBody
from serve.tasks import DIGIT_BOX, Task


class TextGenerator(Task):
    """A character language model. A copy of the network with stateful recurrent layers reads the prompt once and
    then one new character per step (common.text.stateful_copy), as the run's samples.txt was written."""

    kind = "text"
    Body = TextBody

    def __init__(self, run: RunFolder):
        from common.text import stateful_copy

        super().__init__(run)
        self.vocabulary = run.dataset.meta["vocabulary"]
        self.generator = stateful_copy(run.model, batch_size=1)

    def input_description(self) -> dict:
        return {"vocabulary": "".join(self.vocabulary.chars[1:]), "window": self.dataset.x_train.shape[1]}

    def example(self) -> dict:
        return {"prompt": self.run.config.get("prompt") or "The ", "temperature": 0.5, "length": 200, "seed": 0}

    def work(self, body: TextBody) -> float:
        return float(body.length)  # a model call per character

    def predict(self, body: TextBody) -> dict:
        from common.text import sample_characters

        for layer in self.generator.layers:  # forget the previous request's text
            if getattr(layer, "stateful", False):
                layer.reset_state()

        def predict_next(new_ids: np.ndarray) -> np.ndarray:  # (1, time) ids -> (1, vocabulary) probabilities
            return self.generator.predict_on_batch(new_ids)[:, -1, :]  # a compiled step (see Task.call_model)

        ids = sample_characters(
            predict_next, self.vocabulary.encode(body.prompt), body.length, [body.temperature], body.seed
        )[0]
        unknown = sorted(set(body.prompt) - set(self.vocabulary.chars))
        return {"prompt": body.prompt, "generated": self.vocabulary.decode(ids), "unknown": unknown}


class Translation(Task):
    """attention/: a source text -> the decoder's output, greedy or with a beam, and where it looked for each token."""

    kind = "translation"
    Body = TranslationBody

    def __init__(self, run: RunFolder):
        from attention.translate import read_vocabularies

        super().__init__(run)
        self.source_vocabulary, self.target_vocabulary, self.mode = read_vocabularies(run.path)
        self.max_source = run.dataset.x_train.shape[1]  # the longest source in any split
        self.max_output = run.model.inputs[1].shape[1]  # the decoder's length: the longest target + <end>

    def input_description(self) -> dict:
        return {"max_tokens": self.max_source, "tokens": self.mode}

    def example(self) -> dict:
        return {"text": self.dataset.meta["pairs"]["test"][0][0]}

    def test_inputs(self, count: int) -> list[np.ndarray]:
        return [self.dataset.x_test[:count], self.dataset.y_test[:count, :-1]]  # teacher forcing, as in training

    def work(self, body: TranslationBody) -> float:
        return float(body.beam_width)  # each decoder step scores beam_width candidates

    def predict(self, body: TranslationBody) -> dict:
        from attention.dataset import END, END_ID, join, pad, tokenize
        from attention.evaluation import decode, output_tokens

        tokens = tokenize(body.text.strip(), self.mode)
        require(len(tokens) > 0, "text is blank")
        unit = {"char": "characters", "word": "words"}[self.mode]
        require(
            len(tokens) <= self.max_source,
            f"text has {len(tokens)} {unit}; this model was trained on sources of at most {self.max_source}",
        )
        ids = pad([self.source_vocabulary.encode(tokens)], len(tokens))
        output_ids, weights = decode(self.model, ids, self.max_output, body.beam_width)
        written = output_tokens(output_ids[0], self.target_vocabulary)
        rows = written + [END] if END_ID in list(output_ids[0]) else written  # the step that wrote <end> looked too
        attention = weights[0, : len(rows), : len(tokens)].astype("float64")
        return {
            "output": join(written, self.mode),
            "input_tokens": tokens,
            "output_tokens": rows,
            "attention": attention.tolist() if weights.any() else None,
            "unknown": sorted({token for token in tokens if token not in self.source_vocabulary.index}),
        }


class Reconstruction(Task):
    """An autoencoder: an image in, the image its code decodes to out, and the mean squared error between them."""

    kind = "reconstruction"
    Body = ReconstructionBody

    def __init__(self, run: RunFolder):
        super().__init__(run)
        self.shape = run.dataset.x_train.shape[1:]  # (h, w, 1)

    def input_description(self) -> dict:
        return {
            "height": self.shape[0],
            "width": self.shape[1],
            "channels": 1,
            "values": "0 (black) to 1 (white)",
            "digit_box": DIGIT_BOX.get(self.dataset.name),
            "arch": self.run.config.get("arch"),
        }

    def example(self) -> dict:
        return {"pixels": self.dataset.x_test[0, ..., 0].round(4).tolist()}

    def predict(self, body: ReconstructionBody) -> dict:
        height, width = self.shape[:2]
        require(len(body.pixels) == height, f"pixels must have {height} rows (got {len(body.pixels)})")
        for row, line in enumerate(body.pixels):
            require(len(line) == width, f"pixels[{row}] must have {width} values (got {len(line)})")
        image = np.asarray(body.pixels, dtype="float32")
        rebuilt = self.call_model(image[None, ..., None])[0, ..., 0]
        return {"reconstruction": rebuilt.tolist(), "mse": float(np.mean((rebuilt - image) ** 2))}


class Samples(Task):
    """A GAN's generator (model.keras of a gan/ run): noise drawn from a seed -> images in 0..1."""

    kind = "samples"
    Body = SamplesBody

    def __init__(self, run: RunFolder):
        super().__init__(run)
        self.latent_dim = run.model.inputs[0].shape[1]
        self.conditional = len(run.model.inputs) > 1  # (noise, digit)

    def input_description(self) -> dict:
        height, width = self.dataset.x_train.shape[1:3]
        return {
            "latent_dim": self.latent_dim,
            "conditional": self.conditional,
            "height": height,
            "width": width,
            "classes": list(self.dataset.class_names),
        }

    def example(self) -> dict:
        return {"count": 8, "seed": 0}

    def inputs(self, count: int, seed: int, digit: int | None) -> list[np.ndarray]:
        from gan.evaluation import requested_labels
        from gan.model import sample_noise

        noise = sample_noise(count, self.latent_dim, seed)
        if not self.conditional:
            return [noise]
        labels = requested_labels(count, self.dataset.num_classes) if digit is None else np.full(count, digit)
        return [noise, labels.astype("int32")]

    def test_inputs(self, count: int) -> list[np.ndarray]:
        return self.inputs(count, seed=0, digit=None)

    def predict(self, body: SamplesBody) -> dict:
        from gan.dataset import to_unit_range

        require(body.digit is None or self.conditional, "this generator is not conditional: leave out digit")
        require(
            body.digit is None or body.digit < self.dataset.num_classes,
            f"digit must be below {self.dataset.num_classes} (got {body.digit})",
        )
        inputs = self.inputs(body.count, body.seed, body.digit)
        images = to_unit_range(self.call_model(inputs if self.conditional else inputs[0]))[..., 0]
        digits = [int(label) for label in inputs[1]] if self.conditional else None
        return {"images": images.astype("float64").tolist(), "digits": digits}
