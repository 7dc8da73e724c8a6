"""Use a trained model on your own text: the decoding loop around model.keras, which cannot be a layer (each token it
writes is fed back in as the next step's input). attention/translate.py, serve/ and the notebook call these.

    import keras
    import attention.model  # registers the attention layers model.keras is made of
    from attention.use import read_vocabularies, translate

    run_dir = "runs/attention/bahdanau/dates-20261123-011206"
    model = keras.models.load_model(f"{run_dir}/model.keras", compile=False)
    translate(model, read_vocabularies(run_dir), ["march 3rd, 2015"])[0]["output"]       # '2015-03-03'

Both are common/seq2seq.py's (shared with any encoder-decoder); translate here hands it attention/'s own decoding
(greedy, or beam search: attention/evaluation.py's decode).
"""

from common import seq2seq
from common.seq2seq import read_vocabularies  # (source vocabulary, target vocabulary, token mode) of a run folder

__all__ = ["read_vocabularies", "translate"]


def translate(model, vocabularies: tuple, texts: list[str], beam_width: int = 1,
              max_tokens: int | None = None) -> list[dict]:
    """Each text decoded by model.keras, greedily (beam_width 1) or with a beam, split into tokens as in training.

    One dict per text: "output" (the text written), "input_tokens", "output_tokens" (those written, and <end> when it
    was written: that step looked too), "attention" ((output tokens, input tokens) weights, or None for a model
    without attention), "ids" (the decoder's output ids) and "unknown" (input tokens never seen in training, read as
    <unk>). ValueError for a blank text, or one of more than max_tokens tokens."""
    from attention.evaluation import decode  # imports the model's layers

    return seq2seq.translate(model, vocabularies, texts, decode, beam_width, max_tokens)
