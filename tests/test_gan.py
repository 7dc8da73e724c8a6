"""gan/: the builders, the training step's losses, quick runs (plain and conditional) with their scores recomputed
from the saved models, the cached scorer, save and load, bad input, and running train.py as a file (evaluation.py's
numbers and scorer: tests/test_gan_evaluation.py).

    python -m pytest -q -n 0 tests/test_gan.py
"""

import ast
import contextlib
import io
import json
import math
from pathlib import Path

import keras
import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from gan import evaluation
from gan.dataset import load_dataset, to_tanh_range, to_unit_range
from gan.model import build_discriminator, build_generator, build_model, end_to_end, generate, sample_noise
from gan.train import GanConfig, main

REPO_ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------------------------------------
# model.py and dataset.py

@pytest.mark.parametrize("image_shape", [(28, 28, 1), (8, 8, 1)])
@pytest.mark.parametrize("num_classes", [0, 10])
def test_generator_and_discriminator_shapes(image_shape, num_classes):
    generator = build_generator(image_shape, latent_dim=16, num_classes=num_classes)
    discriminator = build_discriminator(image_shape, num_classes=num_classes)
    labels = np.arange(5) % 10
    images = generate(generator, sample_noise(5, 16, seed=0), labels if num_classes else None)
    assert images.shape == (5, *image_shape) and -1.0 <= images.min() and images.max() <= 1.0  # a tanh
    assert len(generator.inputs) == len(discriminator.inputs) == (2 if num_classes else 1)
    logits = discriminator([images, labels] if num_classes else images)
    assert tuple(logits.shape) == (5, 1)
    # Two stride-2 transposed convolutions grow an (h/4, w/4) map into the image.
    assert generator.get_layer("feature_map").output.shape[1:3] == (image_shape[0] // 4, image_shape[1] // 4)


def test_the_conditional_generator_draws_what_it_is_asked_for_differently():
    generator = build_generator((8, 8, 1), latent_dim=4, num_classes=10)
    noise = np.repeat(sample_noise(1, 4, seed=0), 2, axis=0)         # the same z twice, two different digits
    images = generate(generator, noise, np.array([3, 7]))
    assert not np.allclose(images[0], images[1])


def test_sample_images_draws_the_digits_asked_for_in_pixels_and_refuses_others():
    """gan/use.py: the function serve/ and a student call on a saved generator (end_to_end: pixels 0..16 here)."""
    from gan.use import sample_images

    generator = build_generator((8, 8, 1), latent_dim=4, num_classes=10)
    saved = end_to_end(generator, pixel_max=16.0)
    images, digits = sample_images(saved, count=12, seed=2)
    assert digits.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]  # each digit in turn
    in_tanh_range = generate(generator, sample_noise(12, 4, seed=2), digits)
    np.testing.assert_allclose(images, 8.0 * in_tanh_range + 8.0, rtol=1e-6, atol=1e-5)  # -1..1 -> 0..16
    assert images.min() >= 0 and images.max() <= 16 and images.shape == (12, 8, 8, 1)
    assert saved.count_params() == generator.count_params()
    images, digits = sample_images(generator, count=3, seed=2, digit=7)
    assert digits.tolist() == [7, 7, 7]
    with pytest.raises(ValueError, match=r"^digit must be from 0 to 9 \(got 10\)$"):
        sample_images(saved, count=1, seed=0, digit=10)
    plain = build_generator((8, 8, 1), latent_dim=4)
    assert sample_images(plain, count=2, seed=0)[1] is None
    with pytest.raises(ValueError, match="^this generator is not conditional: leave out digit$"):
        sample_images(plain, count=1, seed=0, digit=3)


def test_builders_reject_what_cannot_work():
    with pytest.raises(ValueError, match="divisible by 4"):
        build_generator((10, 10, 1))
    with pytest.raises(ValueError, match="latent_dim"):
        build_model((8, 8, 1), latent_dim=0)


@pytest.mark.parametrize("num_classes", [0, 10])
def test_save_and_load_in_safe_mode_gives_identical_outputs(num_classes, tmp_path):
    keras.utils.set_random_seed(0)
    generator = build_generator((8, 8, 1), latent_dim=8, num_classes=num_classes)
    noise, labels = sample_noise(6, 8, seed=1), (np.arange(6) if num_classes else None)
    generator.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_array_equal(generate(loaded, noise, labels), generate(generator, noise, labels))


def test_one_step_from_an_undecided_discriminator_gives_the_equilibrium_loss_and_moves_both_networks():
    keras.utils.set_random_seed(0)
    gan = build_model((8, 8, 1), latent_dim=8)                     # no label smoothing: targets 1 and 0
    logit_layer = gan.discriminator.get_layer("logit")
    logit_layer.set_weights([np.zeros_like(weight) for weight in logit_layer.get_weights()])  # D(x) = 1/2
    before = [np.array(weight) for weight in gan.generator.weights + gan.discriminator.weights]
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3),
                loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
    images = np.random.default_rng(0).uniform(-1, 1, (16, 8, 8, 1)).astype("float32")
    history = gan.fit(images, epochs=1, batch_size=16, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert history["d_loss"][0] == pytest.approx(2 * math.log(2), rel=1e-5)   # -log(1/2) - log(1 - 1/2)
    assert history["d_real"][0] == pytest.approx(0.5) and history["d_fake"][0] == pytest.approx(0.5)
    after = [np.array(weight) for weight in gan.generator.weights + gan.discriminator.weights]
    generator_count = len(gan.generator.weights)
    assert any(not np.array_equal(b, a) for b, a in zip(before[:generator_count], after[:generator_count]))
    assert any(not np.array_equal(b, a) for b, a in zip(before[generator_count:], after[generator_count:]))


def test_only_the_training_step_touches_tensorflow():
    tree = ast.parse((REPO_ROOT / "gan" / "model.py").read_text())
    imports = [(node.lineno, alias.name) for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names if alias.name.startswith("tensorflow")]
    train_step = next(node for node in ast.walk(tree)
                      if isinstance(node, ast.FunctionDef) and node.name == "train_step")
    assert len(imports) == 1 and train_step.lineno < imports[0][0] <= train_step.end_lineno


@pytest.mark.parametrize("name, shape, sizes", [("mnist5k", (28, 28, 1), (3250, 750, 1000)),
                                                ("digits", (8, 8, 1), (1167, 270, 360))])
def test_embedded_datasets_are_the_shared_splits_in_minus_one_to_one(name, shape, sizes):
    data = load_dataset(GanConfig(dataset=name))
    assert data.input_shape == shape and (len(data.x_train), len(data.x_val), len(data.x_test)) == sizes
    assert data.x_train.dtype == np.float32 and data.x_train.min() == -1.0 and data.x_train.max() == 1.0
    np.testing.assert_allclose(to_tanh_range(to_unit_range(data.x_test)), data.x_test, atol=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# train.py: a quick run, then a conditional one sharing its output folder (and so its cached scorer)

def quick_run(argv: list[str]) -> tuple[dict, list[str]]:
    """main(argv + --quick) in this process; (result, stdout lines). Logging writes to sys.stdout, captured too."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        result = main([*argv, "--quick"])
    return result, output.getvalue().splitlines()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{"plain": (result, stdout), "conditional": (result, stdout), "scorer_mtime": ...} on mnist5k, one output dir.

    The conditional run also has --patience 1: early stopping on val_fid, which restores the best epoch.
    """
    output_dir = tmp_path_factory.mktemp("gan-runs")
    plain = quick_run(["--output-dir", str(output_dir)])
    scorer_path = output_dir / "gan" / "scorer-mnist5k-quick.keras"
    mtime = scorer_path.stat().st_mtime_ns
    conditional = quick_run(["--conditional", "--patience", "1", "--output-dir", str(output_dir)])
    return {"plain": plain, "conditional": conditional, "scorer_mtime": mtime, "scorer_path": scorer_path,
            "output_dir": output_dir}


def check_picture(path: Path) -> None:
    picture = matplotlib.image.imread(path)
    assert picture.shape[0] > 100 and picture.shape[1] > 100 and picture.std() > 0.01, path.name


@pytest.mark.parametrize("kind", ["plain", "conditional"])
def test_quick_run_writes_the_run_folder(kind, runs):
    result, out = runs[kind]
    run_dir = Path(result["run_dir"])
    assert run_dir.parent == runs["output_dir"] / "gan" / ("conditional" if kind == "conditional" else "dcgan")
    assert run_dir.name.startswith("mnist5k-")
    for name in ("config.json", "history.csv", "metrics.json", "model.keras", "discriminator.keras", "summary.txt",
                 "inputs.json"):
        assert (run_dir / name).is_file(), name
    for name in ("learning_curves.png", "samples.png", "samples_epoch_001.png", "samples_epoch_002.png",
                 "class_spread.png"):
        check_picture(run_dir / "plots" / name)
    assert (run_dir / "plots" / "samples.gif").stat().st_size > 1000
    history = pd.read_csv(run_dir / "history.csv")
    assert len(history) == 2 and {"d_loss", "g_loss", "d_real", "d_fake", "val_fid"} <= set(history.columns)
    assert history[["d_loss", "g_loss"]].notna().all().all()
    summary = (run_dir / "summary.txt").read_text()
    assert "generator" in summary and "upsample_1" in summary and "downsample_2" in summary
    assert out[-1].startswith("test_fid=") and f"params={result['params']}" in out[-1]


@pytest.mark.parametrize("kind", ["plain", "conditional"])
def test_quick_run_metrics_are_those_of_the_saved_generator(kind, runs):
    result, _ = runs[kind]
    run_dir = Path(result["run_dir"])
    saved = json.loads((run_dir / "metrics.json").read_text())
    names = {"fid", "confidence", "min_class_fraction", "class_entropy"} | (
        {"label_agreement"} if kind == "conditional" else set())
    assert saved["task"] == "generation" and saved["dataset"] == "mnist5k" and saved["epochs_run"] == 2
    assert set(saved["test"]) == set(saved["validation"]) == names
    assert set(saved["baselines"]) == {"real", "noise", "mean_image"}
    assert saved["conditional"] == (kind == "conditional") and saved["num_generated"] == 128
    assert sum(saved["class_fractions"]) == pytest.approx(1.0)
    for scores in (saved["test"], *saved["baselines"].values()):
        assert scores["fid"] >= 0 and 0 <= scores["min_class_fraction"] <= 0.1
        assert 0 <= scores["class_entropy"] <= math.log2(10) + 1e-9 and 0.1 <= scores["confidence"] <= 1
    assert saved["baselines"]["real"]["fid"] < saved["baselines"]["noise"]["fid"]  # the floor below the ceiling

    # Recomputed here from model.keras and the cached scorer, both loaded in safe mode.
    generator = keras.saving.load_model(run_dir / "model.keras", safe_mode=True)
    scorer = keras.saving.load_model(runs["scorer_path"], safe_mode=True)
    assert saved["params"] == generator.count_params()
    data = load_dataset(GanConfig()).quick_slice()
    labels = np.arange(128) % 10 if kind == "conditional" else None
    pixels = generate(generator, sample_noise(128, 64, evaluation.TEST_NOISE_SEED), labels)  # 0..255
    assert json.loads((run_dir / "inputs.json").read_text())["pixel_max"] == 255.0
    images = to_tanh_range(pixels / 255.0)  # the scorer reads -1..1, as the trained generator draws
    recomputed = evaluation.image_scores(scorer, images, evaluation.scorer_outputs(scorer, data.x_test)[0], labels)
    for name in names:
        assert saved["test"][name] == pytest.approx(recomputed[name], rel=1e-4, abs=1e-6), name
    # FidMonitor's val_fid per epoch: the plain run keeps its last epoch, so its validation fid is the last one;
    # with --patience 1 over two epochs, early stopping ends with the better of the two, restored if need be.
    val_fid = pd.read_csv(run_dir / "history.csv")["val_fid"]
    kept = val_fid.min() if kind == "conditional" else val_fid.iloc[-1]
    assert saved["validation"]["fid"] == pytest.approx(kept, rel=1e-4)
    keras.saving.load_model(run_dir / "discriminator.keras", safe_mode=True)


def test_the_readme_snippet_samples_the_saved_generator(runs, readme_snippet):
    """gan/README.md's "Use your trained model", run on the plain and the conditional quick runs."""
    assert readme_snippet("gan", runs["plain"][0]["run_dir"]) == ["(16, 28, 28, 1) None"]
    assert readme_snippet("gan", runs["conditional"][0]["run_dir"]) == [
        "(16, 28, 28, 1) [0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5]"]


def test_the_scorer_is_trained_once_and_reused(runs):
    (plain, plain_out), (conditional, conditional_out) = runs["plain"], runs["conditional"]
    assert plain["scorer"]["trained_now"] and not conditional["scorer"]["trained_now"]
    assert any(line.startswith("scorer: trained") for line in plain_out)
    assert any(line.startswith("scorer: loaded") for line in conditional_out)
    assert runs["scorer_path"].stat().st_mtime_ns == runs["scorer_mtime"]
    assert plain["scorer"]["validation_accuracy"] == pytest.approx(conditional["scorer"]["validation_accuracy"])
    # A quick scorer has its own file, so a real run never loads it.
    assert sorted(path.name for path in (runs["output_dir"] / "gan").glob("*.keras")) == [
        "scorer-mnist5k-quick.keras"]


def test_conditional_run_reports_label_agreement_beside_the_classifiers_own_accuracy(runs):
    saved, _ = runs["conditional"]
    assert 0 <= saved["test"]["label_agreement"] <= 1
    # The real digits' agreement with their own labels is the scorer's accuracy on them.
    assert saved["baselines"]["real"]["label_agreement"] == pytest.approx(saved["scorer"]["validation_accuracy"])


# ---------------------------------------------------------------------------------------------------------------
# Bad input: one line on stderr, exit status 2, nothing written

@pytest.mark.parametrize("argv, words", [
    (["--latent-dim", "0"], "--latent-dim must be between 1 and 1024 (got 0)"),
    (["--latent-dim", "5000"], "--latent-dim must be between 1 and 1024"),
    (["--dataset", "mnist"], "invalid choice: 'mnist'"),
    (["--learning-rate", "-0.1"], "--learning-rate must be between 0 and 10"),
    (["--label-smoothing", "0.5"], "--label-smoothing must be at least 0 and below 0.5"),
    (["--reduce-lr-patience", "2"], "a GAN does not have"),
    (["--patience", "-1"], "--patience must be 0 or more"),
    (["--epochs", "0"], "--epochs must be at least 1"),
    (["--batch-size", "0"], "--batch-size must be at least 1"),
    (["--optimizer", "adagrad"], "invalid choice: 'adagrad'"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(argv, words, assert_bad_input):
    assert_bad_input(main, argv, words)


@pytest.mark.parametrize("command, cwd", [(["gan/train.py"], REPO_ROOT), (["train.py"], REPO_ROOT / "gan")])
def test_invocation_as_a_file(command, cwd, tmp_path, run_script):
    bad = run_script([*command, "--latent-dim", "0", "--output-dir", str(tmp_path / "bad")], cwd=cwd)
    assert bad.returncode == 2
    assert bad.stderr == "gan/train.py: error: --latent-dim must be between 1 and 1024 (got 0) (see --help)\n"
    assert not (tmp_path / "bad").exists()
