"""The tasks whose answer is made by the model rather than chosen from classes: text, translations, reconstructions and
samples (see serve/tasks.py for the others and for what a task is).

    kind            the model                                   input -> answer
    text            a character language model              a prompt -> the characters sampled after it
    translation     an encoder-decoder                          a text -> the decoded output and the attention weights
    reconstruction  an autoencoder                              an image -> the image rebuilt from its code
    samples         a generator                                 a seed (and a digit) -> generated images

A step that cannot be a layer of model.keras (decoding token by token, drawing noise) is the trained folder's own
function, in its use.py (config.json names the folder), so a served answer is the one a student's call gives. The
text writer is common/text.py's TextWriter, shared by the recurrent folders.
"""

import importlib

import numpy as np

from common.flags import require
from serve.run_folder import RunFolder
from serve.schemas import ReconstructionBody, SamplesBody, TextBody, TranslationBody
from serve.tasks import DIGIT_BOX, Task


def folder_functions(run: RunFolder):
    """The use.py module of the folder that trained the run (attention/use.py, gan/use.py): its own inference steps."""
    return importlib.import_module(f"{run.folder}.use")


class TextGenerator(Task):
    """A character language model, writing by common/text.py's TextWriter (the one a student calls): it reads the
    prompt and then one new character per step (a recurrent network through a stateful copy, any other network its
    last `window` characters again), as the run's samples.txt was written."""

    kind = "text"
    Body = TextBody

    def __init__(self, run: RunFolder):
        from common.text import CharVocabulary, TextWriter

        super().__init__(run)
        self.vocabulary = CharVocabulary(self.inputs["vocabulary"])
        self.writer = TextWriter(run.model, self.vocabulary, self.inputs["window"])

    def input_description(self) -> dict:
        return {"vocabulary": "".join(self.vocabulary.chars[1:]), "window": self.inputs["window"]}

    def example(self) -> dict:
        return {"prompt": self.run.config.get("prompt") or "The ", "temperature": 0.5, "length": 200, "seed": 0}

    def work(self, body: TextBody) -> float:
        return float(body.length)  # a model call per character

    def predict(self, body: TextBody) -> dict:
        generated = self.writer.write(body.prompt, body.length, body.temperature, body.seed)
        unknown = sorted(set(body.prompt) - set(self.vocabulary.chars))
        return {"prompt": body.prompt, "generated": generated, "unknown": unknown}


class Translation(Task):
    """An encoder-decoder: a source text -> the decoder's output, greedy or with a beam, and where it looked for each
    token. The folder's translate (use.py) tokenizes and decodes, with the vocabularies of the run's vocabulary.json."""

    kind = "translation"
    Body = TranslationBody

    def __init__(self, run: RunFolder):
        super().__init__(run)
        functions = folder_functions(run)
        self.vocabularies, self.translate = functions.read_vocabularies(run.path), functions.translate
        self.max_source = self.inputs["max_source"]  # the longest source in any split

    def input_description(self) -> dict:
        return {"max_tokens": self.max_source, "tokens": self.inputs["tokens"]}

    def example(self) -> dict:
        return {"text": self.inputs["example"]}

    def test_inputs(self, count: int) -> list[np.ndarray]:
        targets = np.asarray(self.inputs["target_examples"], "float32")  # the decoder's input: teacher forcing
        return [self.run.examples[:count], targets[:count]]

    def work(self, body: TranslationBody) -> float:
        return float(body.beam_width)  # each decoder step scores beam_width candidates

    def predict(self, body: TranslationBody) -> dict:
        [answer] = self.translate(self.model, self.vocabularies, [body.text], body.beam_width, self.max_source)
        weights = answer["attention"]
        return {
            "output": answer["output"],
            "input_tokens": answer["input_tokens"],
            "output_tokens": answer["output_tokens"],
            "attention": None if weights is None else weights.tolist(),
            "unknown": answer["unknown"],
        }


class Reconstruction(Task):
    """An autoencoder: an image in, the image its code decodes to out, and the mean squared error between them."""

    kind = "reconstruction"
    Body = ReconstructionBody

    def __init__(self, run: RunFolder):
        super().__init__(run)
        self.shape = run.examples.shape[1:]  # (h, w, 1)

    def input_description(self) -> dict:
        return {
            "height": self.shape[0],
            "width": self.shape[1],
            "channels": 1,
            "values": "0 (black) to 1 (white)",
            "digit_box": DIGIT_BOX.get(self.inputs["dataset"]),
            "arch": self.run.config.get("arch"),
        }

    def example(self) -> dict:
        return {"pixels": (self.run.examples[0, ..., 0] / self.inputs["pixel_max"]).round(4).tolist()}

    def predict(self, body: ReconstructionBody) -> dict:
        height, width = self.shape[:2]
        require(len(body.pixels) == height, f"pixels must have {height} rows (got {len(body.pixels)})")
        for row, line in enumerate(body.pixels):
            require(len(line) == width, f"pixels[{row}] must have {width} values (got {len(line)})")
        image = np.asarray(body.pixels, dtype="float32")
        pixel_max = self.inputs["pixel_max"]  # white, as the model reads and writes it
        rebuilt = self.call_model(image[None, ..., None] * pixel_max)[0, ..., 0] / pixel_max
        return {"reconstruction": rebuilt.tolist(), "mse": float(np.mean((rebuilt - image) ** 2))}


class Samples(Task):
    """A GAN's generator (model.keras of its run): noise drawn from a seed -> images, by the folder's sample_images
    (use.py), answered in 0..1 as the other image tasks are (the model's pixels divided by inputs.json's white)."""

    kind = "samples"
    Body = SamplesBody

    def __init__(self, run: RunFolder):
        super().__init__(run)
        functions = folder_functions(run)
        self.sample_images, self.generator_inputs = functions.sample_images, functions.generator_inputs
        self.class_names = list(self.inputs["class_names"])

    def input_description(self) -> dict:
        return {
            "latent_dim": self.inputs["latent_dim"],
            "conditional": self.inputs["conditional"],
            "height": self.inputs["height"],
            "width": self.inputs["width"],
            "classes": self.class_names,
        }

    def example(self) -> dict:
        return {"count": 8, "seed": 0}

    def test_inputs(self, count: int) -> list[np.ndarray]:
        return self.generator_inputs(self.model, count, seed=0)  # the noise of inputs.json's examples, and 0, 1, ...

    def predict(self, body: SamplesBody) -> dict:
        images, digits = self.sample_images(self.model, body.count, body.seed, body.digit)
        images = np.clip(images[..., 0].astype("float64") / self.inputs["pixel_max"], 0.0, 1.0)
        return {"images": images.tolist(), "digits": None if digits is None else [int(digit) for digit in digits]}
