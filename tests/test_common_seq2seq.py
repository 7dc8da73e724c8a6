"""common/seq2seq.py: the scores by hand, the files, the evaluator and translate with a decode written here (a model
that reverses its source and stops after three tokens), reading a vocabulary back. No Keras model is trained."""

import json
import random
from types import SimpleNamespace

import numpy as np
import pytest

from common.pairs import END_ID, PAD_ID, seq2seq_dataset
from common.seq2seq import (by_source_length, output_tokens, plot_attention, positional_majority, read_vocabularies,
                            save_heatmap, score_outputs, seq2seq_evaluator, translate, write_predictions)
from common import seq2seq

KEEP = 3  # the decode below writes at most this many tokens, then <end>


def reversing_decode(source_vocabulary, target_vocabulary, attend=True):
    """decode(model, sources, max_length, beam_width) of a model that writes its source backwards, stops after KEEP
    tokens, and looks at the source token it copies (the <end> step at the first one). Its calls are kept."""
    calls = []

    def decode(model, sources, max_length, beam_width=1):
        calls.append((len(sources), max_length, beam_width))
        ids = np.zeros((len(sources), max_length), "int32")
        weights = np.zeros((len(sources), max_length, sources.shape[1]))
        for row, source in enumerate(sources):
            positions = list(range(int(np.sum(source != PAD_ID)) - 1, -1, -1))[:KEEP]
            written = target_vocabulary.encode([source_vocabulary.tokens[source[p]] for p in positions]) + [END_ID]
            ids[row, : len(written)] = written
            if attend:
                weights[row, np.arange(len(written)), positions + [0]] = 1.0
        return ids, weights

    decode.calls = calls
    return decode


@pytest.fixture(scope="module")
def reverse_pairs():
    """40 pairs of 2-5 letters of "abc" -> reversed: every letter is in the training split."""
    rng = random.Random(0)
    sources = ["".join(rng.choices("abc", k=rng.randint(2, 5))) for _ in range(40)]
    return seq2seq_dataset("reverse", [(source, source[::-1]) for source in sources], "char", "by hand")


def expected_scores(pairs):
    """exact_match and token_accuracy of the decode above, counted here: a target of L <= KEEP tokens is right with
    its <end>; a longer one has its first KEEP tokens right, then <end> where a token belongs, out of L + 1."""
    lengths = [len(target) for _, target in pairs]
    right = sum(length + 1 if length <= KEEP else KEEP for length in lengths)
    return {"exact_match": np.mean([length <= KEEP for length in lengths]),
            "token_accuracy": right / sum(length + 1 for length in lengths)}


# ---------------------------------------------------------------------------------------------------------------
# Scores by hand

@pytest.mark.parametrize("output, target, token_accuracy", [
    (list("2015"), list("2015"), 5 / 5),   # every token and the final <end>
    (list("20"), list("2015"), 2 / 5),     # stops early: "2", "0" right; <end> where "1" belongs; nothing after
    (list("20159"), list("2015"), 4 / 5),  # runs on: "9" where <end> belongs
    ([], list("ab"), 0 / 3),               # writes only <end>
    (list("x015"), list("2015"), 4 / 5),   # one wrong token, stops at the right place
])
def test_score_outputs_by_hand(output, target, token_accuracy):
    scores = score_outputs([output], [target])
    assert scores == {"exact_match": float(output == target), "token_accuracy": pytest.approx(token_accuracy)}


def test_score_outputs_counts_tokens_over_all_pairs():
    # 3 of 3 and 1 of 4 tokens: (3 + 1) / 7, not the mean of the two pairs' shares.
    scores = score_outputs([list("ab"), list("x")], [list("ab"), list("xyz")])
    assert scores["exact_match"] == 0.5
    assert scores["token_accuracy"] == pytest.approx(4 / 7)


@pytest.mark.parametrize("outputs, targets", [([], []), ([["a"]], [["a"], ["b"]])])
def test_score_outputs_needs_matching_non_empty_lists(outputs, targets):
    with pytest.raises(ValueError, match="need as many outputs as targets"):
        score_outputs(outputs, targets)


def test_positional_majority_by_hand():
    targets = [list("19"), list("18"), list("29x"), list("19")]
    # position 0: "1" 3 times; 1: "9" 3 times; 2: <end> 3 times against "x" once, so the guess stops there.
    assert positional_majority(targets) == ["1", "9"]
    assert positional_majority([["a"], [], []]) == []  # <end> is the most frequent first token
    assert positional_majority([list("abc")]) == ["a", "b", "c"]


def test_by_source_length_groups_pairs_by_their_source_length():
    sources = [list("abc"), list("de"), list("fgh"), list("ij")]
    outputs = [list("cba"), list("ed"), list("hgx"), list("ji")]
    targets = [list("cba"), list("ed"), list("hgf"), list("ji")]
    rows = by_source_length(sources, outputs, targets)
    assert [row["source_length"] for row in rows] == [2, 3] and [row["count"] for row in rows] == [2, 2]
    assert rows[0]["exact_match"] == 1.0 and rows[0]["token_accuracy"] == 1.0
    assert rows[1]["exact_match"] == 0.5 and rows[1]["token_accuracy"] == pytest.approx(7 / 8)


def test_output_tokens_skip_nothing_before_end():
    vocabulary = SimpleNamespace(tokens=["<pad>", "<start>", "<end>", "<unk>", "a", "b"])
    assert output_tokens([4, 0, 1, 5, 2, 4], vocabulary) == ["a", "<pad>", "<start>", "b"]
    assert output_tokens(np.array([5, 5]), vocabulary) == ["b", "b"]  # never wrote <end>
    assert output_tokens([2, 4], vocabulary) == []


# ---------------------------------------------------------------------------------------------------------------
# Files

def test_plot_attention_writes_a_png(tmp_path):
    weights = np.array([[0.7, 0.3, 0.0], [0.1, 0.9, 0.0]])
    path = plot_attention(weights, ["a", " ", "c"], ["c", "<end>"], tmp_path / "plots" / "attention_0.png",
                                title="'c' (wrong)")
    assert path == tmp_path / "plots" / "attention_0.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 1000


def test_save_heatmap_gives_the_end_step_a_row_when_it_was_written(tmp_path, monkeypatch):
    drawn = []
    monkeypatch.setattr(seq2seq, "plot_attention", lambda weights, sources, written, path, title: drawn.append(written))
    vocabulary = SimpleNamespace(tokens=["<pad>", "<start>", "<end>", "<unk>", "a", "b"])
    save_heatmap(tmp_path / "one.png", np.zeros((4, 2)), ["x", "y"], [4, 5, 2, 0], vocabulary, title="")
    save_heatmap(tmp_path / "two.png", np.zeros((4, 2)), ["x", "y"], [4, 5, 5, 5], vocabulary, title="")
    assert drawn == [["a", "b", "<end>"], ["a", "b", "b", "b"]]


def test_write_predictions_by_hand(tmp_path):
    path = tmp_path / "predictions.txt"
    write_predictions(path, ["3/3/15", "x"], ["2015-03-03", "y"], ["2015-03-03", "z"], [True, False])
    assert path.read_text(encoding="utf-8") == ("source\ttarget\toutput\tok\n3/3/15\t2015-03-03\t2015-03-03\tyes\n"
                                                "x\ty\tz\tNO\n")


# ---------------------------------------------------------------------------------------------------------------
# The evaluator, with any decode

def test_the_evaluator_scores_what_decode_wrote(reverse_pairs, tmp_path):
    data = reverse_pairs
    decode = reversing_decode(data.meta["source_vocabulary"], data.meta["target_vocabulary"])
    evaluation = seq2seq_evaluator(decode, beam_width=3, num_heatmaps=2, batch_size=3)("model", data, tmp_path)
    test_pairs, val_pairs = data.meta["pairs"]["test"], data.meta["pairs"]["val"]
    assert evaluation.test == pytest.approx(expected_scores(test_pairs))
    assert evaluation.validation == pytest.approx(expected_scores(val_pairs))
    assert 0 < evaluation.test["exact_match"] < 1  # both kinds of pair are in the test split
    # 4 test sources then 4 validation sources, 3 at a time, each with the decoder's length and the beam width
    assert decode.calls == [(3, 6, 3), (1, 6, 3), (3, 6, 3), (1, 6, 3)]
    assert evaluation.outputs.shape == (4, 6)
    np.testing.assert_array_equal(evaluation.outputs, decode(None, data.x_test, 6, 3)[0])
    assert evaluation.details["decoding"] == "beam search, width 3"
    train_targets = [list(target) for _, target in data.meta["pairs"]["train"]]
    guess = positional_majority(train_targets)
    assert evaluation.baselines == {"positional_majority": pytest.approx(score_outputs(
        [guess] * 4, [list(target) for _, target in test_pairs]))}
    written = [source[::-1][:KEEP] for source, _ in test_pairs]
    assert evaluation.details["examples"] == [{"source": source, "target": target, "output": output}
                                              for (source, target), output in zip(test_pairs, written)]
    lengths = sorted({len(source) for source, _ in test_pairs})
    assert [row["source_length"] for row in evaluation.details["by_source_length"]] == lengths

    rows = [line.split("\t") for line in (tmp_path / "predictions.txt").read_text().splitlines()]
    assert rows[0] == ["source", "target", "output", "ok"]
    assert rows[1:] == [[source, target, output, "yes" if output == target else "NO"]
                        for (source, target), output in zip(test_pairs, written)]
    assert sorted(path.name for path in (tmp_path / "plots").iterdir()) == ["attention_0.png", "attention_1.png"]
    saved = json.loads((tmp_path / "vocabulary.json").read_text())
    assert saved == {"tokens": "char", "source": data.meta["source_vocabulary"].tokens,
                     "target": data.meta["target_vocabulary"].tokens}


def test_greedy_decoding_and_no_heatmaps_without_attention(reverse_pairs, tmp_path):
    data = reverse_pairs
    decode = reversing_decode(data.meta["source_vocabulary"], data.meta["target_vocabulary"], attend=False)
    evaluation = seq2seq_evaluator(decode)("model", data, tmp_path)
    assert decode.calls == [(4, 6, 1), (4, 6, 1)] and evaluation.details["decoding"] == "greedy"
    assert evaluation.test == pytest.approx(expected_scores(data.meta["pairs"]["test"]))
    assert not (tmp_path / "plots").exists()


# ---------------------------------------------------------------------------------------------------------------
# A trained model on new text

@pytest.fixture
def run_dir(reverse_pairs, tmp_path):
    """A folder with the vocabulary.json the evaluator writes."""
    decode = reversing_decode(reverse_pairs.meta["source_vocabulary"], reverse_pairs.meta["target_vocabulary"])
    seq2seq_evaluator(decode, num_heatmaps=0)("model", reverse_pairs, tmp_path)
    return tmp_path


def test_read_vocabularies_gives_back_the_training_vocabularies(reverse_pairs, run_dir):
    source_vocabulary, target_vocabulary, mode = read_vocabularies(str(run_dir))
    assert source_vocabulary.tokens == reverse_pairs.meta["source_vocabulary"].tokens == [
        "<pad>", "<start>", "<end>", "<unk>", "a", "b", "c"]
    assert target_vocabulary.tokens == reverse_pairs.meta["target_vocabulary"].tokens and mode == "char"


@pytest.mark.parametrize("content, words", [
    (None, "no vocabulary.json; is this a run folder of a sequence-to-sequence model?"),
    ('{"tokens": "char"}', "not a vocabulary file written by a sequence-to-sequence evaluation"),
    ("[" * 100_000 + "]" * 100_000, "not a vocabulary file"),
    ('{"tokens": "char", "source": ["<pad>", "<start>", "<end>", "<unk>", "b", "a"], "target": []}',
     "the source tokens are not in the order training used"),
])
def test_read_vocabularies_refuses_a_folder_it_cannot_use(tmp_path, content, words):
    if content is not None:
        (tmp_path / "vocabulary.json").write_text(content)
    with pytest.raises(ValueError, match=words.replace("?", r"\?")):
        read_vocabularies(tmp_path)


def test_translate_decodes_each_text_as_in_training(run_dir):
    vocabularies = read_vocabularies(run_dir)
    decode = reversing_decode(*vocabularies[:2])
    model = SimpleNamespace(inputs=[None, SimpleNamespace(shape=(None, 6))])  # the decoder's input: 6 steps
    answers = translate(model, vocabularies, ["ab", " abca ", "az"], decode, beam_width=2)
    assert decode.calls == [(3, 6, 2)]  # the three texts at once, with the decoder's length and the beam width
    assert [answer["output"] for answer in answers] == ["ba", "acb", "<unk>a"]
    assert [answer["input_tokens"] for answer in answers] == [list("ab"), list("abca"), list("az")]
    assert answers[0]["output_tokens"] == ["b", "a", "<end>"]
    assert answers[1]["output_tokens"] == ["a", "c", "b", "<end>"]
    assert [answer["unknown"] for answer in answers] == [[], [], ["z"]]
    # (output tokens, input tokens): the copied position, and the first for the <end> step
    np.testing.assert_array_equal(answers[0]["attention"], [[0, 1], [1, 0], [1, 0]])
    assert answers[1]["attention"].shape == (4, 4) and answers[1]["attention"].dtype == np.float64
    np.testing.assert_array_equal(answers[1]["attention"][:, ::-1][:3], np.eye(4)[:3])
    np.testing.assert_array_equal(answers[0]["ids"], decode(None, np.array([[4, 5]]), 6)[0][0])


def test_translate_without_attention_and_bad_texts(run_dir):
    vocabularies = read_vocabularies(run_dir)
    model = SimpleNamespace(inputs=[None, SimpleNamespace(shape=(None, 6))])
    [answer] = translate(model, vocabularies, ["abc"], reversing_decode(*vocabularies[:2], attend=False))
    assert answer["output"] == "cba" and answer["attention"] is None
    decode = reversing_decode(*vocabularies[:2])
    with pytest.raises(ValueError, match="text is blank"):
        translate(model, vocabularies, ["ab", "  "], decode)
    with pytest.raises(ValueError, match="text has 4 characters; this model was trained on sources of at most 3"):
        translate(model, vocabularies, ["abca"], decode, max_tokens=3)
    assert decode.calls == []  # refused before decoding
