"""attention/evaluation.py's decode in common/seq2seq.py's evaluator, compare.py's helpers, the training metric and
loss, format_comparison (common/): by hand, no training. The scores themselves: tests/test_common_seq2seq.py."""

import math

import keras
import numpy as np
import pytest

from attention.compare import grouped_rows, length_groups, model_settings, parse_models
from attention.model import TokenAccuracy
from common.metrics import format_comparison


# ---------------------------------------------------------------------------------------------------------------
# attention/compare.py

def test_length_groups_cover_every_length_in_about_equal_widths():
    groups = length_groups(list(range(5, 41)), bins=5)
    assert groups == [(5, 11), (12, 18), (19, 26), (27, 33), (34, 40)]
    assert length_groups([7, 3, 5], bins=2) == [(3, 4), (5, 7)]
    assert length_groups([3, 4], bins=5) == [(3, 3), (4, 4)]  # no more groups than lengths
    assert length_groups([6, 6], bins=3) == [(6, 6)]


def test_grouped_rows_weight_each_length_by_its_pairs():
    by_length = [{"source_length": 3, "count": 1, "exact_match": 1.0, "token_accuracy": 1.0},
                 {"source_length": 4, "count": 3, "exact_match": 0.0, "token_accuracy": 0.6},
                 {"source_length": 9, "count": 2, "exact_match": 0.5, "token_accuracy": 0.75}]
    rows = grouped_rows("bahdanau", by_length, [(3, 5), (6, 8), (9, 9)])
    assert [row["lengths"] for row in rows] == ["3-5", "6-8", "9-9"]
    assert [row["test_pairs"] for row in rows] == [4, 0, 2]
    assert rows[0]["exact_match"] == 0.25 and rows[0]["token_accuracy"] == pytest.approx(0.7)
    assert math.isnan(rows[1]["exact_match"]) and math.isnan(rows[1]["token_accuracy"])  # no pair that long
    assert rows[2]["exact_match"] == 0.5 and rows[2]["model"] == "bahdanau"


def test_parse_models():
    assert parse_models("none, bahdanau,luong-dot,") == ["none", "bahdanau", "luong-dot"]
    assert parse_models("luong-general,luong-general+feeding") == ["luong-general", "luong-general+feeding"]
    assert model_settings("luong-general+feeding") == ("luong-general", True)
    assert model_settings("bahdanau") == ("bahdanau", False)
    for text, words in [("none,foo", "--models entries are"), ("none,none", "distinct names"),
                        ("bahdanau+feeding", r"a luong one optionally with \+feeding"),
                        ("", "distinct names"), (" , ", "distinct names")]:
        with pytest.raises(ValueError, match=words):
            parse_models(text)


# ---------------------------------------------------------------------------------------------------------------
# The training metric and loss, format_comparison (common/)

def one_hot_predictions(ids, vocabulary=10):
    return keras.ops.one_hot(np.array(ids), vocabulary)


def test_token_accuracy_leaves_padding_out():
    metric = TokenAccuracy(name="accuracy")
    # Real tokens 5 6 2 (6 wrong), then two pads the model got "wrong": 2 of 3, not 2 of 5.
    metric.update_state(np.array([[5, 6, 2, 0, 0]]), one_hot_predictions([[5, 7, 2, 9, 9]]))
    assert float(metric.result()) == pytest.approx(2 / 3)
    metric.update_state(np.array([[4, 0, 0, 0, 0]]), one_hot_predictions([[4, 0, 0, 0, 0]]))
    assert float(metric.result()) == pytest.approx(3 / 4)


def test_seq2seq_loss_ignores_the_padding_class():
    loss = keras.losses.SparseCategoricalCrossentropy(ignore_class=0)  # as attention/train.py compiles it
    y_true = np.array([[3, 4, 2, 0, 0]])
    rng = np.random.default_rng(0)
    predictions = rng.dirichlet(np.ones(6), size=(1, 5)).astype("float32")
    changed_pads = predictions.copy()
    changed_pads[0, 3:] = rng.dirichlet(np.ones(6), size=2)
    changed_token = predictions.copy()
    changed_token[0, 1] = rng.dirichlet(np.ones(6))
    base = float(loss(y_true, predictions))
    assert float(loss(y_true, changed_pads)) == pytest.approx(base, abs=1e-6)
    assert abs(float(loss(y_true, changed_token)) - base) > 1e-3
    # The mean over the three real positions only.
    expected = -np.mean(np.log(predictions[0, [0, 1, 2], [3, 4, 2]]))
    assert base == pytest.approx(expected, rel=1e-5)


def test_format_comparison_keeps_a_long_baseline_name_apart():
    table = format_comparison({"exact_match": 0.5, "token_accuracy": 0.75},
                              {"positional_majority": {"exact_match": 0.0, "token_accuracy": 0.5036},
                               "a_much_longer_baseline_name": {"exact_match": 0.125}})
    header, *rows = table.splitlines()
    assert header.split() == ["metric", "model", "positional_majority", "a_much_longer_baseline_name"]
    assert rows[0].split() == ["exact_match", "0.5000", "0.0000", "0.1250"]
    assert rows[1].split() == ["token_accuracy", "0.7500", "0.5036", "nan"]
    # Each number ends where its column's name ends.
    for name in ("model", "positional_majority", "a_much_longer_baseline_name"):
        end = header.index(name) + len(name)
        assert all(row[end - 1] != " " and (end == len(row) or row[end] == " ") for row in rows)


# ---------------------------------------------------------------------------------------------------------------
# The evaluator decodes as --beam-width says

def test_the_evaluator_decodes_with_the_beam_width_it_was_given(tmp_path):
    from attention.dataset import load_reverse
    from attention.evaluation import decode
    from attention.model import beam_search, build_model, greedy_decode
    from common.seq2seq import seq2seq_evaluator

    dataset = load_reverse(num_samples=400, min_length=3, max_length=6)
    target_length = dataset.y_test.shape[1] - 1
    keras.utils.set_random_seed(0)
    model = build_model(len(dataset.meta["source_vocabulary"]), dataset.num_classes, target_length, units=8,
                        embedding_dim=8)
    # Untrained but with its output scaled up, so that greedy choices are confident yet not always the best whole.
    output_layer = model.get_layer("decoder").output_layer
    output_layer.set_weights([4.0 * weight for weight in output_layer.get_weights()])
    greedy_ids, _ = greedy_decode(model, dataset.x_test, target_length)
    beam_ids, _ = beam_search(model, dataset.x_test, target_length, beam_width=4)
    assert (greedy_ids != beam_ids).any(), "the test needs a model whose beam and greedy outputs differ"

    for beam_width, expected_ids, decoding in ((1, greedy_ids, "greedy"), (4, beam_ids, "beam search, width 4")):
        run_dir = tmp_path / f"width-{beam_width}"
        run_dir.mkdir()
        evaluation = seq2seq_evaluator(decode, beam_width=beam_width, num_heatmaps=1)(model, dataset, run_dir)
        np.testing.assert_array_equal(evaluation.outputs, expected_ids)
        assert evaluation.details["decoding"] == decoding
        # The scores are those of the outputs written to predictions.txt.
        rows = [line.split("\t") for line in (run_dir / "predictions.txt").read_text().splitlines()[1:]]
        assert evaluation.test["exact_match"] == pytest.approx(np.mean([row[2] == row[1] for row in rows]))
