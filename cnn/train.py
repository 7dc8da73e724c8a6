"""Train a convolutional network on images and save a run folder with pictures of what it learned.

    python -m cnn.train                                  # mnist5k, offline, the deep CNN with augmentation
    python -m cnn.train --arch basic --no-augment        # the classic first CNN
    python -m cnn.train --arch resnet --blocks 2         # residual blocks
    python -m cnn.train --dataset cifar10 --arch alexnet --epochs 10     # downloads CIFAR-10 once
    python -m cnn.train --image-dir my_photos/ --image-size 64           # one sub-folder per class
    python -m cnn.train --image-dir big_folder/ --stream                 # read batch by batch with tf.data
"""

import dataclasses
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python cnn/train.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cnn.dataset import DATASETS, image_pipeline, load_dataset, raw_features, read_images
from common.config import TrainConfig
from common.flags import DATA, exit_on_bad_input, format_config, option, parse_config, require
from common.console import quiet_tensorflow, setup_logging

ARCHITECTURES = ("basic", "deep", "alexnet", "resnet")


@dataclasses.dataclass
class CnnConfig(TrainConfig):
    # Defaults first found among about a dozen settings by test accuracy, then checked on the validation split with
    # three tuning seeds (`python -m benchmarks.tune cnn`, benchmarks/tune_cnn.md): dropout 0.3 after Flatten ranked
    # first, so the deep network's own default dropout is 0.3 (cnn/model.py); batch 32, two blocks and 16 filters did
    # not beat the rest. Shared fields keep their meaning here and change only their default.
    dataset: str = option("mnist5k", "dataset (ignored when --image-dir is given)", choices=tuple(DATASETS))
    batch_size: int = option(64, "examples per gradient step")
    epochs: int = option(16, "maximum number of passes over the training data (early stopping may end sooner)")
    patience: int = option(6, "epochs without validation improvement before stopping early")
    reduce_lr_patience: int = option(2, "halve the learning rate after this many epochs without validation "
                                        "improvement (0: keep it fixed)")
    arch: str = option("deep", "architecture (see cnn/README.md)", choices=ARCHITECTURES)
    blocks: int = option(3, "convolution blocks (deep) or residual stages (resnet)")
    filters: int = option(32, "filters in the first block of deep and resnet; each later block doubles them")
    padding: str = option("same", "convolution padding: same keeps height and width, valid shrinks them",
                          choices=("same", "valid"))
    strides: int = option(1, "stride of the first convolution (of each block, for deep)")
    pooling: str = option("max", "pooling after convolution blocks", choices=("max", "average"))
    batchnorm: bool = option(False, "batch normalization in basic and alexnet (deep and resnet always use it)")
    dropout: float = option(-1.0, "dropout rate in the classifier part (deep: after Flatten; basic and alexnet: "
                                  "after each dense layer; resnet: after the global pooling); -1 means the "
                                  "architecture's default (0.5 for alexnet, 0.3 for deep, none for the others)")
    augment: bool = option(True, "random rotations, shifts and zooms (and flips where they make sense) in training")
    image_dir: str = option("", "folder of images with one sub-folder per class, instead of --dataset", group=DATA)
    image_size: int = option(64, "height and width that --image-dir images are resized to", group=DATA)
    stream: bool = option(False, "read --image-dir images from their files batch by batch (tf.data) instead of all "
                                 "into memory first: for folders bigger than memory", group=DATA)

    def validate(self) -> None:
        super().validate()
        require(1 <= self.blocks <= 6, f"--blocks must be between 1 and 6 (got {self.blocks})")
        require(1 <= self.filters <= 512, f"--filters must be between 1 and 512 (got {self.filters})")
        require(1 <= self.strides <= 4, f"--strides must be between 1 and 4 (got {self.strides})")
        require(self.dropout == -1.0 or 0.0 <= self.dropout < 1.0,
                f"--dropout must be at least 0 and below 1, or -1 for the default (got {self.dropout})")
        require(8 <= self.image_size <= 512, f"--image-size must be between 8 and 512 (got {self.image_size})")
        require(not self.stream or self.image_dir, "--stream reads an --image-dir; give one")
        require(not self.image_dir or Path(self.image_dir).is_dir(),
                f"--image-dir {self.image_dir} is not a folder")


def main(argv: list[str] | None = None) -> dict:
    config = parse_config(CnnConfig, argv, description=__doc__)
    setup_logging(config.verbose)
    print(format_config(config))

    # TensorFlow loads only now, after the flags were checked, so that a mistyped flag is answered at once.
    quiet_tensorflow(config.verbose)
    import keras

    from cnn.model import build_model, end_to_end
    from cnn.visualize import plot_feature_maps, plot_filters, plot_prediction_grid
    from common.distribute import make_strategy
    from common.evaluation import classical_baselines, evaluate_classification
    from common.inputs import describe_inputs
    from common.runs import finish_run, start_run
    from common.tasks import loss_for_task, metrics_for_task, predicted_classes, predicted_confidence
    from common.training import (make_callbacks, make_optimizer, mixed_precision_scope, progress_verbosity,
                                 quick_settings)

    strategy = make_strategy(config.distribute)  # --distribute: made before any TensorFlow operation runs

    # ---- Data: images (n, height, width, channels) scaled to 0..1, and class indices
    with exit_on_bad_input():
        dataset = load_dataset(config)
    keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same command, same numbers
    dataset, epochs = quick_settings(config, dataset)

    # ---- Model: convolution blocks, then a softmax over the classes (one sigmoid unit for two)
    # Flags that shrink the image below what a layer needs are bad input too. --mixed-precision: float16 maths,
    # float32 weights.
    with strategy.scope():  # --distribute: variables made here are mirrored on every replica
        with exit_on_bad_input(), mixed_precision_scope(config.mixed_precision):
            model = build_model(dataset.input_shape, dataset.num_classes, arch=config.arch, padding=config.padding,
                                strides=config.strides, pooling=config.pooling, batchnorm=config.batchnorm,
                                dropout_rate=None if config.dropout < 0 else config.dropout, blocks=config.blocks,
                                filters=config.filters, augment=config.augment,
                                flip=dataset.meta.get("flip_ok", False))
        # Cross-entropy over the classes (binary for two), labels kept as class indices: common/tasks.py, as ann/
        # teaches.
        model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm),
                      loss=loss_for_task(dataset.task, dataset.num_classes),
                      metrics=metrics_for_task(dataset.task, dataset.num_classes),
                      jit_compile=config.jit_compile or "auto", steps_per_execution=config.steps_per_execution)

    # ---- Training: the augmentation layers act only here; early stopping keeps the best epoch's weights
    run_dir = start_run(config, "cnn", dataset.name, model)
    start = time.perf_counter()
    if not config.stream:  # arrays in memory: Keras shuffles and batches them itself
        history = model.fit(dataset.x_train, dataset.y_train, validation_data=(dataset.x_val, dataset.y_val),
                            epochs=epochs, batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                            verbose=progress_verbosity())
    else:  # --stream: tf.data pipelines read the files; the decoded images are cached in a temporary folder
        with tempfile.TemporaryDirectory(prefix="cnn-stream-") as cache:
            train_data = image_pipeline(dataset.x_train, dataset.y_train, config.image_size, config.batch_size,
                                        shuffle_seed=config.seed, cache_file=f"{cache}/train")
            val_data = image_pipeline(dataset.x_val, dataset.y_val, config.image_size, config.batch_size,
                                      cache_file=f"{cache}/val")
            # shuffle=False: the pipeline shuffles itself, with the seed (Keras cannot reorder a tf.data pipeline)
            history = model.fit(train_data, validation_data=val_data, epochs=epochs, shuffle=False,
                                callbacks=make_callbacks(config, run_dir), verbose=progress_verbosity())
    train_seconds = time.perf_counter() - start

    # ---- Evaluation: the test split beside the majority class, and pictures of what the network sees
    first_images = dataset.x_test[:25]  # pictured below with what the network says of them
    if config.stream:  # decode the pictured images; predict the validation and test splits from pipelines
        first_images = read_images(dataset.x_test[:25], config.image_size)
        dataset = dataclasses.replace(
            dataset, x_val=image_pipeline(dataset.x_val, dataset.y_val, config.image_size, config.batch_size),
            x_test=image_pipeline(dataset.x_test, dataset.y_test, config.image_size, config.batch_size))
    evaluation = evaluate_classification(model, dataset, run_dir)
    probabilities = evaluation.outputs[:25]  # the first test images' outputs, already predicted above
    plot_prediction_grid(first_images, dataset.y_test[:25], predicted_classes(probabilities),
                         predicted_confidence(probabilities), dataset.class_names,
                         run_dir / "plots" / "predictions_grid.png")
    plot_filters(model, run_dir / "plots" / "filters.png")
    plot_feature_maps(model, first_images[0], run_dir / "plots" / "feature_maps.png")
    # Beside the majority class, what a practitioner would fit first on the pixels (scikit-learn, same split); they
    # need every image in memory, so --stream leaves them out
    if not config.stream:
        evaluation.baselines.update(classical_baselines(dataset, quick=config.quick))
    # ---- Saved: model.keras is the network behind its rescaling (raw pixels in), and inputs.json says what it reads,
    # with a few raw test images
    inputs = describe_inputs(dataset, raw_features(dataset, first_images[:16]), raw=True)
    result = finish_run(run_dir, end_to_end(model, dataset), history, evaluation, dataset, train_seconds, inputs)
    print(result["summary"])
    return result


if __name__ == "__main__":
    main()
