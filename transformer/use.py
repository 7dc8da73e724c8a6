"""Use a trained encoder-decoder (a --dataset dates run) on your own text: the decoding loop around model.keras, which
cannot be a layer (each character it writes is fed back in as the next step's input). serve/ and the notebook call
these; a text run writes with common/text.py's TextWriter instead.

    import keras
    import transformer.model  # registers the transformer layers model.keras is made of
    from transformer.use import read_vocabularies, translate

    run_dir = "runs/transformer/dates-<date>-<time>"
    model = keras.models.load_model(f"{run_dir}/model.keras", compile=False)
    translate(model, read_vocabularies(run_dir), ["march 3rd, 2015"])[0]["output"]       # '2015-03-03'
"""

from common import seq2seq
from common.flags import require
from common.pairs import END_ID, START_ID
from common.seq2seq import read_vocabularies

__all__ = ["decode", "read_vocabularies", "translate"]


def decode(model, sources, max_length: int, beam_width: int = 1):
    """(ids (n, max_length), cross-attention weights (n, max_length, S)) of transformer/model.py's greedy_decode."""
    from transformer.model import greedy_decode  # imports Keras and the layers

    require(beam_width == 1, f"this encoder-decoder decodes greedily only: beam_width must be 1 (got {beam_width})")
    return greedy_decode(model, sources, max_length, start_id=START_ID, end_id=END_ID)


def translate(model, vocabularies: tuple, texts: list[str], beam_width: int = 1,
              max_tokens: int | None = None) -> list[dict]:
    """Each text decoded greedily, split into characters as in training: common/seq2seq.py's translate with this
    folder's decode (one dict per text: output, input_tokens, output_tokens, attention, ids, unknown)."""
    return seq2seq.translate(model, vocabularies, texts, decode, beam_width, max_tokens)
