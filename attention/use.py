"""Use a trained model on your own text: the decoding loop around model.keras, which cannot be a layer (each token it
writes is fed back in as the next step's input). attention/translate.py, serve/ and the notebook call these.

    import keras
    import attention.model  # registers the attention layers model.keras is made of
    from attention.use import read_vocabularies, translate

    run_dir = "runs/attention/bahdanau/dates-20261123-011206"
    model = keras.models.load_model(f"{run_dir}/model.keras", compile=False)
    translate(model, read_vocabularies(run_dir), ["march 3rd, 2015"])[0]["output"]       # '2015-03-03'
"""

import json
from pathlib import Path

import numpy as np

from attention.dataset import END, END_ID, TokenVocabulary, join, pad, tokenize
from common.flags import require


def read_vocabularies(run_dir: str | Path) -> tuple[TokenVocabulary, TokenVocabulary, str]:
    """(source vocabulary, target vocabulary, token mode) from run_dir/vocabulary.json, exactly as in training."""
    run_dir = Path(run_dir)
    path = run_dir / "vocabulary.json"
    require(path.is_file(), f"{run_dir}: no vocabulary.json; is this a run folder of attention/train.py?")
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        vocabularies = [TokenVocabulary(saved[side][4:]) for side in ("source", "target")]  # after the 4 specials
        mode = saved["tokens"]
    except (ValueError, KeyError, TypeError, RecursionError):  # RecursionError: JSON nested thousands deep
        raise ValueError(f"{path}: not a vocabulary file written by attention/train.py") from None
    for vocabulary, side in zip(vocabularies, ("source", "target")):
        require(vocabulary.tokens == saved[side], f"{path}: the {side} tokens are not in the order training used")
    return vocabularies[0], vocabularies[1], mode


def translate(model, vocabularies: tuple, texts: list[str], beam_width: int = 1,
              max_tokens: int | None = None) -> list[dict]:
    """Each text decoded by model.keras, greedily (beam_width 1) or with a beam, split into tokens as in training.

    One dict per text: "output" (the text written), "input_tokens", "output_tokens" (those written, and <end> when it
    was written: that step looked too), "attention" ((output tokens, input tokens) weights, or None for a model
    without attention), "ids" (the decoder's output ids) and "unknown" (input tokens never seen in training, read as
    <unk>). ValueError for a blank text, or one of more than max_tokens tokens."""
    from attention.evaluation import decode, output_tokens  # imports the model's layers

    source_vocabulary, target_vocabulary, mode = vocabularies
    sources = [tokenize(text.strip(), mode) for text in texts]
    require(all(sources), "text is blank")
    longest = max(map(len, sources))
    unit = {"char": "characters", "word": "words"}[mode]
    require(
        max_tokens is None or longest <= max_tokens,
        f"text has {longest} {unit}; this model was trained on sources of at most {max_tokens}",
    )
    ids = pad([source_vocabulary.encode(tokens) for tokens in sources], longest)
    max_length = model.inputs[1].shape[1]  # the decoder input's length: the longest target trained on, + <end>
    output_ids, weights = decode(model, ids, max_length, beam_width)
    answers = []
    for tokens, row, row_weights in zip(sources, output_ids, weights):
        written = output_tokens(row, target_vocabulary)
        rows = written + [END] if END_ID in list(row) else written
        answers.append({
            "output": join(written, mode),
            "input_tokens": tokens,
            "output_tokens": rows,
            "attention": row_weights[: len(rows), : len(tokens)].astype("float64") if weights.any() else None,
            "ids": np.asarray(row),
            "unknown": sorted({token for token in tokens if token not in source_vocabulary.index}),
        })
    return answers
