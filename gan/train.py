"""Train a DCGAN to draw digits, score its samples with a digit classifier beside real, noise and mean-image
anchors, and save a run folder.

    python -m gan.train                                  # mnist5k, offline: an unconditional DCGAN
    python -m gan.train --conditional                    # ask for a digit: one row per digit in the samples
    python -m gan.train --dataset digits --epochs 100    # scikit-learn's 8x8 digits: seconds per epoch
    python -m gan.train --quick                          # a few seconds, to check that everything works

The training step (gan/model.py, class GAN) uses tf.GradientTape: it runs on the TensorFlow backend only, while the
networks themselves are backend-neutral. A GAN has no validation loss: --patience watches the validation fid instead.
"""

import dataclasses
import logging
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python gan/train.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.config import TrainConfig, keras_backend
from common.flags import exit_on_bad_input, format_config, option, parse_config, require
from common.console import quiet_tensorflow, setup_logging
from gan.dataset import DATASETS, load_dataset

log = logging.getLogger(__name__)


@dataclasses.dataclass
class GanConfig(TrainConfig):
    # Shared fields keep their meaning here and change only their default. DCGAN's recipe (Radford et al. 2016:
    # Adam with beta_1 = 0.5, batch 64) except the learning rate, chosen by the validation fid after 40 epochs on
    # mnist5k, seed 0: 42.5 at DCGAN's 2e-4, 29.8 at 5e-4, 27.3 at 1e-3, every digit above 5% in the last two (the
    # networks here are smaller than DCGAN's). 40 epochs keep a default run near five minutes on 2 CPU cores; the
    # fid was still falling slowly there (about 2 over the last ten epochs at 1e-3). Not tuned further.
    dataset: str = option("mnist5k", "dataset", choices=tuple(DATASETS))
    epochs: int = option(40, "passes over the training data (a GAN has no validation loss: see --patience)")
    batch_size: int = option(64, "real images per step (and as many generated ones)")
    learning_rate: float = option(1e-3, "step size of both players' optimizers (Adam: with beta_1 = 0.5)")
    patience: int = option(0, "stop when the validation fid has not improved for this many epochs, and keep "
                              "the best epoch's networks (0: off, train every epoch)")
    reduce_lr_patience: int = option(0, "not used by a GAN, which has no validation loss to watch (must be 0)")
    latent_dim: int = option(64, "numbers in the noise vector z the generator draws from")
    conditional: bool = option(False, "condition both networks on the digit, so that you can ask for one")
    label_smoothing: float = option(0.1, "one-sided label smoothing: the discriminator's target for real images "
                                         "is 1 minus this (0: plain 1)")

    def validate(self) -> None:
        super().validate()
        require(1 <= self.latent_dim <= 1024, f"--latent-dim must be between 1 and 1024 (got {self.latent_dim})")
        require(0.0 <= self.label_smoothing < 0.5,
                f"--label-smoothing must be at least 0 and below 0.5 (got {self.label_smoothing})")
        require(self.reduce_lr_patience == 0, "--reduce-lr-patience watches a validation loss, which a GAN does "
                                              "not have: leave it at 0 (--patience watches the validation fid)")
        # fit calls train_step(data) on TensorFlow but train_step(state, data) on JAX, where the step must be a
        # pure function of the weights it is handed and return the new ones: GAN.train_step is neither.
        backend = keras_backend()
        require(backend == "tensorflow",
                f"this GAN's train_step is written with tf.GradientTape, so it needs the TensorFlow backend "
                f"(KERAS_BACKEND is {backend!r}); a JAX train_step is a stateless function of the weights instead "
                f"(keras.io: Customizing what happens in fit() with JAX)")


def make_gan_optimizer(config: GanConfig):
    """One player's optimizer. Adam with beta_1 = 0.5 instead of 0.9 (Radford et al. 2016): each player's target
    moves at every step, and a long memory of old gradients makes the pair overshoot and oscillate."""
    import keras

    from common.training import make_optimizer

    if config.optimizer == "adam":
        return keras.optimizers.Adam(config.learning_rate, beta_1=0.5, global_clipnorm=config.clip_norm or None)
    return make_optimizer(config.optimizer, config.learning_rate, config.clip_norm)


def main(argv: list[str] | None = None) -> dict:
    config = parse_config(GanConfig, argv, description=__doc__)
    setup_logging(config.verbose)
    print(format_config(config))

    # TensorFlow loads only now, after the flags were checked, so that a mistyped flag is answered at once.
    quiet_tensorflow(config.verbose)
    import keras

    from common.distribute import make_strategy
    from common.inputs import describe_inputs
    from common.runs import finish_run, start_run
    from common.training import (EpochTimer, mixed_precision_scope, progress_verbosity, quick_settings,
                                 tensorboard_callback)
    from gan.evaluation import FidMonitor, evaluate_generator, load_or_train_scorer
    from gan.model import build_model, end_to_end, sample_noise
    from gan.visualize import SampleGrid, plot_gan_curves

    strategy = make_strategy(config.distribute)  # --distribute: made before any TensorFlow operation runs

    # ---- Data: images (n, height, width, 1) in -1..1; the labels are read by --conditional and by the scorer
    with exit_on_bad_input():
        dataset = load_dataset(config)
    dataset, epochs = quick_settings(config, dataset)
    # The classifier that scores the samples, trained once per data set and cached beside the runs. It comes before
    # this run's seeding because training it sets its own seed.
    with exit_on_bad_input():
        scorer, scorer_info = load_or_train_scorer(dataset, config.output_dir, config.quick)
    keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same command, same numbers

    # ---- Model: two networks, two optimizers, one loss (binary cross-entropy on D's logits: real 1, generated 0)
    num_classes = dataset.num_classes if config.conditional else 0
    with strategy.scope():  # --distribute: variables made here are mirrored on every replica
        with mixed_precision_scope(config.mixed_precision):  # --mixed-precision: float16 maths, float32 weights
            gan = build_model(dataset.input_shape, config.latent_dim, num_classes, config.label_smoothing)
        gan.compile(d_optimizer=make_gan_optimizer(config), g_optimizer=make_gan_optimizer(config),
                    loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
                    jit_compile=config.jit_compile or "auto", steps_per_execution=config.steps_per_execution)

    # ---- Training: D then G on every batch. No validation data: after each epoch FidMonitor scores samples of
    # fixed noise against the validation split (val_fid), and SampleGrid draws them.
    run_dir = start_run(config, f"gan/{'conditional' if config.conditional else 'dcgan'}", dataset.name, gan)
    with open(run_dir / "summary.txt", "a") as summary_file:  # the two networks layer by layer, after the GAN
        for network in (gan.generator, gan.discriminator):
            network.summary(print_fn=lambda line, **_: summary_file.write(line + "\n"))
    grid = SampleGrid(config.latent_dim, config.conditional, run_dir / "plots", dataset.num_classes)
    callbacks = [EpochTimer(), FidMonitor(scorer, dataset, config.latent_dim, config.conditional), grid,
                 keras.callbacks.CSVLogger(str(run_dir / "history.csv")), keras.callbacks.TerminateOnNaN()]
    if config.patience:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_fid", mode="min", patience=config.patience,
                                                       restore_best_weights=True))
    if config.tensorboard:
        callbacks.append(tensorboard_callback(run_dir))
    start = time.perf_counter()
    history = gan.fit(dataset.x_train, dataset.y_train if config.conditional else None, epochs=epochs,
                      batch_size=config.batch_size, callbacks=callbacks, verbose=progress_verbosity())
    train_seconds = time.perf_counter() - start

    # ---- Evaluation: the test split beside the real, noise and mean-image anchors; the final grid of samples
    evaluation = evaluate_generator(gan.generator, dataset, scorer, config.latent_dim, config.conditional, run_dir)
    grid.draw(gan.generator, run_dir / "plots" / "samples.png", f"after {len(history.epoch)} epochs")
    # ---- Saved: the generator is model.keras (the part worth keeping: noise in, images in pixels 0..255 out, as
    # inputs.json says), beside it the discriminator; the learning curves are the game's own (two losses, D's outputs,
    # fid, coverage)
    gan.discriminator.save(run_dir / "discriminator.keras")
    height, width = dataset.input_shape[:2]
    pixel_max = dataset.meta["pixel_max"]
    inputs = describe_inputs(dataset, sample_noise(16, config.latent_dim, seed=0), kind="samples",
                             latent_dim=config.latent_dim, conditional=config.conditional, height=height, width=width,
                             pixel_max=pixel_max)
    result = finish_run(run_dir, end_to_end(gan.generator, pixel_max), history, evaluation, dataset, train_seconds,
                        inputs, plot_curves=plot_gan_curves, task="generation",
                        discriminator_params=int(gan.discriminator.count_params()), scorer=scorer_info)
    print(result["summary"])
    return result


if __name__ == "__main__":
    main()
